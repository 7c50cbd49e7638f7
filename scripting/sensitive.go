package scripting

import "strings"

// SensitiveSays checks every fixed `say` text, and every string literal in
// a `say` function, against the tenant's sensitive words, the check run
// before a version is published. Findings are errors, or warnings when the
// tenant allows publishing anyway; each names the state and its line.
func (s *Script) SensitiveSays(words []string, allow bool) []Diagnostic {
	if s.dialog == nil {
		return nil
	}
	sev := "error"
	if allow {
		sev = "warning"
	}
	var ds []Diagnostic
	check := func(state string, at int, texts ...string) {
		for _, w := range words {
			if w == "" {
				continue
			}
			for _, t := range texts {
				if strings.Contains(strings.ToLower(t), strings.ToLower(w)) {
					ds = append(ds, s.src.diag(sev, at, state, "state %s says the sensitive word %q", state, w))
					break
				}
			}
		}
	}
	for _, name := range s.dialog.Order {
		st := s.dialog.States[name]
		check(name, st.SayAt, append([]string{st.Say}, st.SayTexts...)...)
	}
	return ds
}
