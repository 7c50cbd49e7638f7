package scripting

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/grafana/sobek"
	"github.com/grafana/sobek/ast"
	"github.com/grafana/sobek/parser"
)

// source is a tenant's file as written plus the script sobek compiles from
// it. Module syntax (export default, export function) is rewritten in place
// with text of the same length, so every line and column the runtime
// reports is a line and column in the tenant's file.
type source struct {
	name       string
	code       string
	lineStarts []int
	ast        *ast.Program
	// defaultExpr is the expression after `export default`, when there is one.
	defaultExpr ast.Expression
	exportAt    int // byte offset of the first export, for diagnostics without a better place
	named       []string
	rewritten   string
}

// Diagnostic is one finding about a script: an error that stops it from
// being saved or a warning a person should read. Line and Column are
// 1-based; Column counts characters, not bytes.
type Diagnostic struct {
	Severity string `json:"severity"` // "error" or "warning"
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Message  string `json:"message"`
	// State names the dialog state the finding is about, when there is one.
	State string `json:"state,omitempty"`
}

func (d Diagnostic) String() string {
	if d.Severity == "warning" {
		return fmt.Sprintf("%d:%d: warning: %s", d.Line, d.Column, d.Message)
	}
	return fmt.Sprintf("%d:%d: %s", d.Line, d.Column, d.Message)
}

// HasErrors reports whether any diagnostic is an error.
func HasErrors(ds []Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == "error" {
			return true
		}
	}
	return false
}

func newSource(name, code string) *source {
	s := &source{name: name, code: code, lineStarts: []int{0}}
	for i := 0; i < len(code); i++ {
		if code[i] == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	return s
}

// pos converts a byte offset into a 1-based line and character column.
func (s *source) pos(off int) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > len(s.code) {
		off = len(s.code)
	}
	i := sort.Search(len(s.lineStarts), func(i int) bool { return s.lineStarts[i] > off }) - 1
	return i + 1, utf8.RuneCountInString(s.code[s.lineStarts[i]:off]) + 1
}

// byteCol converts a line and byte column (as sobek reports them) into a
// character column.
func (s *source) byteCol(line, col int) int {
	if line < 1 || line > len(s.lineStarts) {
		return col
	}
	start := s.lineStarts[line-1]
	end := start + col - 1
	if end > len(s.code) || end < start {
		return col
	}
	return utf8.RuneCountInString(s.code[start:end]) + 1
}

func (s *source) diag(sev string, off int, state, format string, args ...any) Diagnostic {
	l, c := s.pos(off)
	return Diagnostic{Severity: sev, Line: l, Column: c, State: state, Message: fmt.Sprintf(format, args...)}
}

// locate fills in the position of a runtime error from the first stack
// frame that belongs to the tenant's file.
func (s *source) locate(e *ScriptError, stack []sobek.StackFrame) {
	if s == nil {
		return
	}
	for _, f := range stack {
		if f.SrcName() != s.name {
			continue
		}
		p := f.Position()
		if p.Line > 0 {
			e.Line, e.Column = p.Line, s.byteCol(p.Line, p.Column)
			return
		}
	}
}

// parse checks the syntax and prepares the rewritten script.
func (s *source) parse() []Diagnostic {
	prog, err := parser.ParseFile(nil, s.name, s.code, 0, parser.IsModule, parser.WithDisableSourceMaps)
	if err != nil {
		var list parser.ErrorList
		var one *parser.Error
		var ds []Diagnostic
		switch {
		case errors.As(err, &list):
			for _, e := range list {
				ds = append(ds, Diagnostic{Severity: "error", Line: e.Position.Line, Column: s.byteCol(e.Position.Line, e.Position.Column), Message: "syntax error: " + e.Message})
				if len(ds) == 10 {
					break
				}
			}
		case errors.As(err, &one):
			ds = append(ds, Diagnostic{Severity: "error", Line: one.Position.Line, Column: s.byteCol(one.Position.Line, one.Position.Column), Message: "syntax error: " + one.Message})
		default:
			ds = append(ds, Diagnostic{Severity: "error", Line: 1, Column: 1, Message: "syntax error: " + err.Error()})
		}
		return dedupe(ds)
	}
	s.ast = prog
	var ds []Diagnostic
	for _, imp := range prog.ImportEntries {
		ds = append(ds, s.diag("error", int(imp.Idx0())-1, "", "import is not allowed: a script is one self-contained file"))
	}
	b := []byte(s.code)
	blank := func(from, to int) {
		for i := from; i < to; i++ {
			if b[i] != '\n' {
				b[i] = ' '
			}
		}
	}
	type pair struct{ local, exported string }
	var pairs []pair
	hasDefault := false
	s.exportAt = -1
	for _, st := range prog.Body {
		ex, ok := st.(*ast.ExportDeclaration)
		if !ok {
			continue
		}
		at := int(ex.Idx) - 1
		if s.exportAt < 0 {
			s.exportAt = at
		}
		switch {
		case ex.IsDefault:
			// "export default" → "var __dflt__ =" (same length, same line).
			end := at + len("export")
			for end < len(b) && (b[end] == ' ' || b[end] == '\t') {
				end++
			}
			if !strings.HasPrefix(s.code[end:], "default") {
				ds = append(ds, s.diag("error", at, "", "write `export default` on one line"))
				continue
			}
			end += len("default")
			const repl = "var __dflt__ ="
			if end-at < len(repl) {
				ds = append(ds, s.diag("error", at, "", "unsupported export"))
				continue
			}
			blank(at, end)
			copy(b[at:], repl)
			hasDefault = true
			switch {
			case ex.AssignExpression != nil:
				s.defaultExpr = ex.AssignExpression
			case ex.HoistableDeclaration != nil && ex.HoistableDeclaration.FunctionDeclaration != nil:
				s.defaultExpr = ex.HoistableDeclaration.FunctionDeclaration.Function
			}
		case ex.ExportFromClause != nil || ex.FromClause != nil:
			ds = append(ds, s.diag("error", at, "", "export … from is not allowed: a script is one self-contained file"))
		case ex.NamedExports != nil:
			end := strings.IndexByte(s.code[at:], '}')
			if end < 0 {
				ds = append(ds, s.diag("error", at, "", "unterminated export list"))
				continue
			}
			blank(at, at+end+1)
			for _, sp := range ex.NamedExports.ExportsList {
				alias := sp.Alias
				if alias == "" {
					alias = sp.IdentifierName
				}
				pairs = append(pairs, pair{string(sp.IdentifierName), string(alias)})
			}
		default:
			blank(at, at+len("export"))
			var names []string
			switch {
			case ex.Variable != nil:
				for _, d := range ex.Variable.List {
					if id, ok := d.Target.(*ast.Identifier); ok {
						names = append(names, string(id.Name))
					}
				}
			case ex.LexicalDeclaration != nil:
				for _, d := range ex.LexicalDeclaration.List {
					if id, ok := d.Target.(*ast.Identifier); ok {
						names = append(names, string(id.Name))
					}
				}
			case ex.HoistableDeclaration != nil && ex.HoistableDeclaration.FunctionDeclaration != nil:
				if n := ex.HoistableDeclaration.FunctionDeclaration.Function.Name; n != nil {
					names = append(names, string(n.Name))
				}
			case ex.ClassDeclaration != nil && ex.ClassDeclaration.Class.Name != nil:
				names = append(names, string(ex.ClassDeclaration.Class.Name.Name))
			}
			for _, n := range names {
				pairs = append(pairs, pair{n, n})
			}
		}
	}
	var tail strings.Builder
	tail.WriteString("\n;({")
	if hasDefault {
		tail.WriteString(`"default": __dflt__,`)
	}
	for _, p := range pairs {
		s.named = append(s.named, p.exported)
		fmt.Fprintf(&tail, "%q: %s,", p.exported, p.local)
	}
	tail.WriteString("});\n")
	s.rewritten = string(b) + tail.String()
	return ds
}

// compile turns the rewritten source into a program every runtime can run.
func (s *source) compile() (*sobek.Program, []Diagnostic) {
	prg, err := sobek.Compile(s.name, s.rewritten, true)
	if err != nil {
		var ce *sobek.CompilerSyntaxError
		if errors.As(err, &ce) && ce.File != nil {
			p := ce.File.Position(ce.Offset)
			return nil, []Diagnostic{{Severity: "error", Line: p.Line, Column: s.byteCol(p.Line, p.Column), Message: "syntax error: " + ce.Message}}
		}
		return nil, []Diagnostic{{Severity: "error", Line: 1, Column: 1, Message: err.Error()}}
	}
	return prg, nil
}

func dedupe(ds []Diagnostic) []Diagnostic {
	out := ds[:0]
	seen := map[Diagnostic]bool{}
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
