package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/outcall/outcall/api"
)

func init() {
	var out string
	var v30 bool
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Write the OpenAPI document the code generates (YAML) to a file or standard output",
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc := api.New(api.Config{}).OpenAPI()
			b, err := doc.YAML()
			if v30 {
				// OpenAPI 3.0, for client generators that do not read 3.1 yet.
				b, err = doc.DowngradeYAML()
			}
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
	cmd.Flags().BoolVar(&v30, "openapi-3.0", false, "write OpenAPI 3.0 instead of 3.1")
	rootCmd.AddCommand(cmd)
}
