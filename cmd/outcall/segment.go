package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/outcall/outcall/scripting"
	"github.com/spf13/cobra"
)

func init() {
	cmd := &cobra.Command{
		Use:   "segment RULES.js CONTACTS.csv",
		Short: "Segment a CSV of contacts with a segmentation script: counts per segment and the rows that failed",
		Long: `Runs the script's segment(contact) for every row of the CSV. The header row
names the fields; numbers and true/false become numbers and booleans, while
phone-like values (leading + or 0, or 11 digits and more) stay text.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			sg, ds := scripting.CompileSegmenter(args[0], string(src))
			if sg == nil {
				printDiagnostics(cmd.ErrOrStderr(), args[0], ds)
				return scriptExitError{code: 1}
			}
			f, err := os.Open(args[1])
			if err != nil {
				return err
			}
			defer f.Close()
			r := csv.NewReader(f)
			r.FieldsPerRecord = -1
			header, err := r.Read()
			if err != nil {
				return fmt.Errorf("%s: reading the header: %w", args[1], err)
			}
			for i := range header {
				header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
			}
			counts := map[string]int{}
			type failure struct {
				row    int
				reason string
			}
			var failed []failure
			start := time.Now()
			rows := 0
			for line := 2; ; line++ {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					failed = append(failed, failure{line, err.Error()})
					continue
				}
				rows++
				seg, err := sg.Segment(csvContact(header, rec))
				if err != nil {
					failed = append(failed, failure{line, err.Error()})
					continue
				}
				if seg == "" {
					seg = "(none)"
				}
				counts[seg]++
			}
			took := time.Since(start)
			out := cmd.OutOrStdout()
			names := make([]string, 0, len(counts))
			for k := range counts {
				names = append(names, k)
			}
			sort.Slice(names, func(i, j int) bool {
				if counts[names[i]] != counts[names[j]] {
					return counts[names[i]] > counts[names[j]]
				}
				return names[i] < names[j]
			})
			fmt.Fprintf(out, "%d contacts segmented in %v\n", rows, took.Round(time.Millisecond))
			for _, n := range names {
				fmt.Fprintf(out, "%-20s %d\n", n, counts[n])
			}
			if len(failed) > 0 {
				fmt.Fprintf(out, "%d rows failed:\n", len(failed))
				for _, f := range failed {
					fmt.Fprintf(out, "%s:%d: %s\n", args[1], f.row, f.reason)
				}
			}
			return nil
		},
	}
	rootCmd.AddCommand(cmd)
}

// csvContact turns one CSV row into a contact.
func csvContact(header, rec []string) scripting.Contact {
	c := scripting.Contact{}
	for i, h := range header {
		if i >= len(rec) || h == "" {
			continue
		}
		c[h] = csvValue(h, strings.TrimSpace(rec[i]))
	}
	return c
}

func csvValue(field, v string) any {
	switch strings.ToLower(field) {
	case "phone", "mobile", "tel", "number", "phone_number":
		return v
	}
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	case "":
		return v
	}
	if v[0] == '+' || (len(v) > 1 && v[0] == '0' && v[1] != '.') || len(v) >= 11 {
		return v
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	return v
}
