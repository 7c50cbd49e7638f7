package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/outcall/outcall/migrations"
)

func init() {
	var s settings
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database to the newest schema (outcall's and River's migrations)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if s.DatabaseURL == "" {
				return errors.New("no database: set --database-url or OUTCALL_DATABASE_URL")
			}
			if err := migrations.Up(cmd.Context(), s.DatabaseURL); err != nil {
				return err
			}
			fmt.Println("database migrated")
			return nil
		},
	}
	addDatabaseFlag(cmd, &s)
	rootCmd.AddCommand(cmd)
}
