package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/outcall/outcall/scripting"
	"github.com/spf13/cobra"
)

// scriptExitError ends a command with an exit status after it printed its
// own findings.
type scriptExitError struct {
	code int
	msg  string
}

func (e scriptExitError) Error() string { return e.msg }
func (e scriptExitError) ExitCode() int { return e.code }

func init() {
	script := &cobra.Command{
		Use:   "script",
		Short: "Check dialog scripts and try conversations with them",
	}

	var sensitive []string
	var allowSensitive bool
	check := &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a dialog script and print its graph as JSON, or FILE:LINE:COL: message lines and exit 1",
		Args:  cobra.ExactArgs(1),
		RunE: onScriptFile(func(cmd *cobra.Command, file, src string) error {
			s, ds := scripting.Compile(file, src)
			if s != nil {
				ds = append(ds, s.SensitiveSays(sensitive, allowSensitive)...)
			}
			out := cmd.OutOrStdout()
			if scripting.HasErrors(ds) {
				printDiagnostics(out, file, ds)
				return scriptExitError{code: 1}
			}
			printDiagnostics(cmd.ErrOrStderr(), file, ds)
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(s.Graph())
		}),
	}
	check.Flags().StringSliceVar(&sensitive, "sensitive", scripting.DefaultSensitiveWords, "sensitive words no fixed say text may contain")
	check.Flags().BoolVar(&allowSensitive, "allow-sensitive", false, "report sensitive words as warnings instead of errors")

	var contactJSON, segment, lang string
	var says []string
	var noBuiltins bool
	test := &cobra.Command{
		Use:     "test FILE --say TEXT [--say TEXT...]",
		Short:   "Run a conversation: one JSON line per turn, then a line with the outcome",
		Example: `  outcall script test order.js --contact '{"name":"王先生"}' --say "是的" --say "明天吧"`,
		Args:    cobra.ExactArgs(1),
		RunE: onScriptFile(func(cmd *cobra.Command, file, src string) error {
			var opts []scripting.Option
			if lang != "" {
				opts = append(opts, scripting.WithLang(lang))
			}
			s, ds := scripting.Compile(file, src, opts...)
			if s == nil {
				printDiagnostics(cmd.ErrOrStderr(), file, ds)
				return scriptExitError{code: 1}
			}
			contact := scripting.Contact{}
			if contactJSON != "" {
				if err := json.Unmarshal([]byte(contactJSON), &contact); err != nil {
					return fmt.Errorf("--contact must be a JSON object: %w", err)
				}
			}
			tr, err := s.Simulate(contact, says, scripting.SessionOptions{Segment: segment, NoBusyCallback: noBuiltins, NoStopDNC: noBuiltins, NoAngryTransfer: noBuiltins})
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetEscapeHTML(false)
			for _, turn := range tr.Turns {
				if err := enc.Encode(turn); err != nil {
					return err
				}
			}
			if tr.Result != nil {
				return enc.Encode(tr.Result)
			}
			return enc.Encode(map[string]any{"outcome": nil, "state": tr.State, "vars": json.RawMessage(tr.Vars)})
		}),
	}
	test.Flags().StringVar(&contactJSON, "contact", "", "the contact as a JSON object")
	test.Flags().StringArrayVar(&says, "say", nil, "what the callee says, one turn per flag")
	test.Flags().StringVar(&segment, "segment", "", "the contact's segment (c.segment)")
	test.Flags().StringVar(&lang, "lang", "", "language when the script declares none: zh-CN or en")
	test.Flags().BoolVar(&noBuiltins, "no-builtins", false, "turn off the built-in busy, stop and angry behaviours")

	script.AddCommand(check, test)
	rootCmd.AddCommand(script)
}

// onScriptFile is the RunE of a command whose one argument names a script:
// it reads the file and hands run the file's name and source.
func onScriptFile(run func(cmd *cobra.Command, file, src string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		src, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		return run(cmd, args[0], string(src))
	}
}

func printDiagnostics(w io.Writer, file string, ds []scripting.Diagnostic) {
	for _, d := range ds {
		msg := d.Message
		if d.Severity == "warning" {
			msg = "warning: " + msg
		}
		fmt.Fprintf(w, "%s:%d:%d: %s\n", file, d.Line, d.Column, strings.TrimSpace(msg))
	}
}
