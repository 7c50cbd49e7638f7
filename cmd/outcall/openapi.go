package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/outcall/outcall/api"
)

func init() {
	var out string
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Write the OpenAPI document the code generates (YAML) to a file or standard output",
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := api.New(api.Config{}).OpenAPI().YAML()
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = os.Stdout.Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write (default: standard output)")
	rootCmd.AddCommand(cmd)
}
