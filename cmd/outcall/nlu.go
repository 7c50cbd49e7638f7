package main

import (
	"encoding/json"
	"strings"

	"github.com/outcall/outcall/scripting"
	"github.com/spf13/cobra"
)

func init() {
	var lang string
	cmd := &cobra.Command{
		Use:   "nlu [--lang zh|en] TEXT",
		Short: "Print the intent, confidence, runner-up, slots and sentiment of an utterance as JSON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u := scripting.Classify(lang, strings.Join(args, " "), nil)
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetEscapeHTML(false)
			return enc.Encode(u)
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "zh", "language of the utterance: zh or en")
	rootCmd.AddCommand(cmd)
}
