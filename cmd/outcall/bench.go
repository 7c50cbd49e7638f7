package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// benchGroups holds the benchmark groups `outcall bench` knows. Each group
// adds itself from an init function in a file named bench_<group>.go. A group
// reports every figure through report, which prints the line
// "bench: NAME VALUE UNIT" that `make bench` promises.
var benchGroups = map[string]func(cmd *cobra.Command, report func(name string, value float64, unit string)) error{}

func init() {
	cmd := &cobra.Command{
		Use:   "bench [GROUP...]",
		Short: "Run the performance benchmarks and print one 'bench: NAME VALUE UNIT' line per figure",
		RunE: func(cmd *cobra.Command, args []string) error {
			names := args
			if len(names) == 0 {
				for name := range benchGroups {
					names = append(names, name)
				}
				sort.Strings(names)
			}
			report := func(name string, value float64, unit string) {
				fmt.Fprintf(os.Stdout, "bench: %s %s %s\n", name, strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", value), "0"), "."), unit)
			}
			for _, name := range names {
				run, ok := benchGroups[name]
				if !ok {
					known := make([]string, 0, len(benchGroups))
					for k := range benchGroups {
						known = append(known, k)
					}
					sort.Strings(known)
					return fmt.Errorf("unknown benchmark group %q (known: %s)", name, strings.Join(known, ", "))
				}
				fmt.Fprintf(os.Stderr, "bench group %s: running\n", name)
				if err := run(cmd, report); err != nil {
					return fmt.Errorf("benchmark group %s: %w", name, err)
				}
			}
			return nil
		},
	}
	rootCmd.AddCommand(cmd)
}

// benchEnvInt is the whole number the environment variable name sets for a
// bench, def when it is unset; a value outside lo to hi is an error that
// says what the number is for.
func benchEnvInt(name string, def, lo, hi int, what string) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want %s, %d to %d", name, v, what, lo, hi)
	}
	return n, nil
}
