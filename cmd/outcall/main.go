// Command outcall runs the outcall service: the API, the job workers, the
// database migrations, a local development stack and the tools tenants and
// operators use from a terminal. Every subcommand lives in a file of its own
// in this folder and adds itself to rootCmd from an init function.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "outcall",
	Short:         "outcall runs AI outbound calling campaigns",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd.ExecuteContext(ctx); err != nil {
		// A command that already printed its findings (a script check that
		// found errors, say) returns an error with an exit code and no text.
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			if msg := err.Error(); msg != "" {
				fmt.Fprintln(os.Stderr, "outcall:", msg)
			}
			os.Exit(coded.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "outcall:", err)
		os.Exit(1)
	}
}
