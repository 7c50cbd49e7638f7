package main

import (
	"os"

	"github.com/outcall/outcall/scripting"
	"github.com/spf13/cobra"
)

func init() {
	var memoryLimit int64
	cmd := &cobra.Command{
		Use:    "script-host",
		Short:  "Run tenant scripts for a supervising process over stdin and stdout",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := scripting.HostOptionsFromEnv()
			if memoryLimit > 0 {
				opts.MemoryLimit = memoryLimit
			}
			return scripting.ServeHost(os.Stdin, os.Stdout, opts)
		},
	}
	cmd.Flags().Int64Var(&memoryLimit, "memory-limit", 0, "memory limit in bytes for tenant code (default from "+scripting.MemoryLimitEnv+")")
	rootCmd.AddCommand(cmd)
}
