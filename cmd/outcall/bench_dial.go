package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// The "dial" group measures dial scheduling end to end — pacer, compliance
// check with the attempt recorded, a dial job through an instant test
// placer, the call closed — in dials per second, and beside it pgbench's
// TPS on the same PostgreSQL: the ratio says how close dialling comes to
// what the database can commit.
//
// The tenant has 1,000 lines (BENCH_DIAL_LINES sets another number). Its
// calls end at once, so every pacing round finds its lines free again:
// with few lines the pacer's cadence (a round every PaceInterval), not
// the database, bounds the figure.
func init() {
	benchGroups["dial"] = func(cmd *cobra.Command, report func(string, float64, string)) error {
		ctx := cmd.Context()
		const contacts, warmUp, runs, limit = 20000, 5000, 3, 90 * time.Second
		lines, err := benchEnvInt("BENCH_DIAL_LINES", 1000, 1, 10000, "the tenant's lines")
		if err != nil {
			return err
		}
		env, cleanup, err := openBench(ctx, "Bench", "bench@example.com")
		if err != nil {
			return err
		}
		defer cleanup()
		db, p := env.DB, env.P
		// As a worker runs them: a closed call emits its webhook events.
		svc := campaigns.New(hooks.Add(campaigns.Options{DB: db}, false))
		rules := campaigns.DefaultCompliance()
		rules.QuietHours, rules.MinRetryInterval = []string{}, 0
		rules.MaxConcurrentLines, rules.CallsPerSecond = lines, 10000
		if _, err := svc.SetCompliance(ctx, p, rules); err != nil {
			return err
		}
		placer := &campaigns.TestPlacer{}
		jc, err := jobs.New(jobs.Config{Tenants: env.Tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Work: true,
			Campaigns: svc, Placer: placer, DialWorkers: lines})
		if err != nil {
			return err
		}
		if err := jc.Start(ctx); err != nil {
			return err
		}
		defer jc.Stop(context.WithoutCancel(ctx))
		// The dialler is measured in its steady state: a first campaign
		// gives the tables a history and PostgreSQL its statistics of
		// them (as a running deployment has), then the measured ones run.
		// A brand-new database's first seconds are planned from empty
		// tables, and whether autovacuum has analyzed them yet swings the
		// figure by half. The figure is the median of three campaigns.
		if _, _, err := dialCampaign(ctx, svc, env, runs*contacts, warmUp, limit); err != nil {
			return err
		}
		conn, err := pgx.Connect(ctx, env.URL)
		if err != nil {
			return err
		}
		_, err = conn.Exec(ctx, `ANALYZE`)
		conn.Close(ctx)
		if err != nil {
			return err
		}
		rates := make([]float64, 0, runs)
		for i := 0; i < runs; i++ {
			done, elapsed, err := dialCampaign(ctx, svc, env, i*contacts, contacts, limit)
			if err != nil {
				return err
			}
			rates = append(rates, float64(done)/elapsed.Seconds())
		}
		fmt.Fprintf(os.Stderr, "bench dial: the %d campaigns dialled at %.0f dials/s\n", runs, rates)
		slices.Sort(rates)
		report("dial_throughput", rates[runs/2], "dials/s")
		jc.Stop(context.WithoutCancel(ctx))

		tps, err := pgbenchTPS(ctx, env.URL)
		if err != nil {
			return err
		}
		report("pgbench_tps", tps, "tps")
		report("dial_pgbench_ratio", rates[runs/2]/tps, "ratio")
		return nil
	}
}

// dialCampaign runs a campaign over n new contacts (numbers from first on)
// to its end (or limit) and returns how many of its contacts were done and
// how long it took.
func dialCampaign(ctx context.Context, svc *campaigns.Service, env *benchEnv, first, n int, limit time.Duration) (int, time.Duration, error) {
	list, err := benchContacts(ctx, env.DB, env.P, n, first)
	if err != nil {
		return 0, 0, err
	}
	c, err := svc.CreateCampaign(ctx, env.P, campaigns.CampaignInput{Name: "bench", ListIDs: []uuid.UUID{list}, ScriptVersion: "v1",
		RetryPolicy: campaigns.RetryPolicy{telephony.OutcomeBusy: {}, telephony.OutcomeNoAnswer: {}, telephony.OutcomeFailed: {}}})
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if _, err := svc.StartCampaign(ctx, env.P, c.ID); err != nil {
		return 0, 0, err
	}
	for time.Since(start) < limit {
		got, err := svc.GetCampaign(ctx, env.P, c.ID)
		if err != nil {
			return 0, 0, err
		}
		if got.Status == campaigns.StatusCompleted {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	counts, err := svc.CampaignCounts(ctx, env.P, c.ID)
	if err != nil {
		return 0, 0, err
	}
	return counts.ByState["done"], elapsed, nil
}

// benchContacts imports n contacts into a new list through the CSV import,
// their numbers from first on.
func benchContacts(ctx context.Context, db *tenants.DB, p tenants.Principal, n, first int) (uuid.UUID, error) {
	svc := contacts.New(contacts.Options{DB: db})
	list, err := svc.CreateList(ctx, p, "bench", "")
	if err != nil {
		return uuid.Nil, err
	}
	var b strings.Builder
	b.WriteString("phone,name,tier\n")
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "1381%07d,客户%d,gold\n", i, i)
	}
	im, err := svc.CreateImport(ctx, p, list.ID, []byte(b.String()), contacts.ImportOptions{})
	if err != nil {
		return uuid.Nil, err
	}
	return list.ID, svc.RunImport(ctx, p.TenantID, im.ID)
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+)`)

// pgbenchTPS runs pgbench's standard TPC-B-like load for ten seconds on the
// server behind url (in a database of its own) and returns its TPS.
func pgbenchTPS(ctx context.Context, url string) (float64, error) {
	bin := "pgbench"
	if path, err := exec.LookPath(bin); err == nil {
		bin = path
	} else if matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench"); len(matches) > 0 {
		bin = matches[len(matches)-1]
	} else {
		return 0, fmt.Errorf("pgbench not found: install PostgreSQL's client tools")
	}
	bctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(bctx, bin, "-i", "-q", "-s", "10", url).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("pgbench -i: %v: %s", err, out)
	}
	out, err := exec.CommandContext(bctx, bin, "-n", "-c", "16", "-j", "4", "-T", "10", url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %v: %s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps: %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
