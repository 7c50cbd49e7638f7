package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/outcall/outcall/contacts"
)

// The "import" group measures a CSV import of 1,000,000 rows (phone, name,
// two attributes; a few duplicates and bad rows) from upload check to
// contacts committed, in rows per second.
func init() {
	benchGroups["import"] = func(cmd *cobra.Command, report func(string, float64, string)) error {
		ctx := cmd.Context()
		const rows = 1000000
		env, cleanup, err := openBench(ctx, "Bench", "bench@example.com")
		if err != nil {
			return err
		}
		defer cleanup()
		p := env.P
		svc := contacts.New(contacts.Options{DB: env.DB})
		list, err := svc.CreateList(ctx, p, "bench", "")
		if err != nil {
			return err
		}
		var b strings.Builder
		b.Grow(rows * 40)
		b.WriteString("手机号,姓名,城市,等级\n")
		for i := 0; i < rows; i++ {
			switch {
			case i%1000 == 999:
				b.WriteString("12345,bad,上海,gold\n")
			case i%500 == 499:
				fmt.Fprintf(&b, "139%08d,客户%d,上海,gold\n", i-1, i) // a duplicate of the row before
			default:
				fmt.Fprintf(&b, "139%08d,客户%d,上海,gold\n", i, i)
			}
		}
		data := []byte(b.String())
		start := time.Now()
		im, err := svc.CreateImport(ctx, p, list.ID, data, contacts.ImportOptions{})
		if err != nil {
			return err
		}
		if err := svc.RunImport(ctx, p.TenantID, im.ID); err != nil {
			return err
		}
		elapsed := time.Since(start)
		got, err := svc.GetImport(ctx, p, im.ID)
		if err != nil {
			return err
		}
		if got.Status != "done" || got.RowsTotal != rows {
			return fmt.Errorf("import ended %s with %d of %d rows: %s", got.Status, got.RowsTotal, rows, got.Failure)
		}
		report("import_rows_per_s", float64(rows)/elapsed.Seconds(), "rows/s")
		report("import_1m_rows_seconds", elapsed.Seconds(), "s")
		return nil
	}
}
