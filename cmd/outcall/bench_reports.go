package main

import (
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/outcall/outcall/reports"
)

// The "reports" benchmark group seeds one tenant with 1,000,000 call
// records (and the turns of the answered ones) straight into PostgreSQL
// with generate_series, rebuilds the report rollups from them, then times
// every report through reports.Service — as the API calls it — under
// four filters (none, a campaign, a campaign and script version, one week):
//
//   - report_seed_s, report_rebuild_s: the setup, for scale
//   - report_<name>_p95_ms: each report's 95th percentile
//   - report_p95_ms: the 95th percentile over all of them
//
// Best-time dialling has its own group, besttime (bench_besttime.go).
func init() {
	benchGroups["reports"] = benchReports
}

// benchCallCount is how many call records the group seeds; OUTCALL_BENCH_CALLS
// changes it for a quicker look.
func benchCallCount() int {
	n := 1_000_000
	if v := os.Getenv("OUTCALL_BENCH_CALLS"); v != "" {
		fmt.Sscan(v, &n)
	}
	return n
}

const benchGraph = `{"start": "greeting", "states": [{"name": "greeting"}, {"name": "confirm", "end": "confirmed"},
	{"name": "callback", "end": "callback"}, {"name": "objection"}, {"name": "survey", "end": "surveyed"}],
	"edges": [{"from": "greeting", "to": "confirm"}, {"from": "greeting", "to": "callback"}, {"from": "greeting", "to": "objection"},
	{"from": "greeting", "to": "survey"}, {"from": "objection", "to": "confirm"}]}`

// seedReportsSQL fills the tenant $1's history: 100,000 contacts in three
// time zones, four campaigns (two split between versions $2 and $3), and
// $4 calls over the 60 days before $5, whose answer rate depends on the
// callee's local hour.
var seedReportsSQL = []string{
	`INSERT INTO contact_lists (id, tenant_id, name) VALUES (md5('list')::uuid, $1, 'bench')`,
	`INSERT INTO scripts (id, tenant_id, name, kind) VALUES (md5('script')::uuid, $1, 'order', 'dialog')`,
	`INSERT INTO script_versions (id, tenant_id, script_id, number, source, hash, graph, published_at)
		SELECT v.id, $1, md5('script')::uuid, v.n, 'export default {}', 'h' || v.n, '` + benchGraph + `', now()
		FROM (VALUES ($2::uuid, 1), ($3::uuid, 2)) v(id, n)`,
	`INSERT INTO campaigns (id, tenant_id, name, status, list_ids, script_version, ab_split)
		SELECT md5('campaign' || i)::uuid, $1, 'bench ' || i, 'completed', ARRAY[md5('list')::uuid], $2::text,
			CASE WHEN i < 2 THEN jsonb_build_array(jsonb_build_object('version', $2::text, 'weight', 1), jsonb_build_object('version', $3::text, 'weight', 1))
			ELSE '[]' END
		FROM generate_series(0, 3) i`,
	`INSERT INTO contacts (id, tenant_id, phone, time_zone)
		SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'))::uuid, $1, '+86138' || lpad(g::text, 8, '0'),
			CASE WHEN g % 10 < 7 THEN 'Asia/Shanghai' WHEN g % 10 < 9 THEN 'Asia/Tokyo' ELSE 'America/New_York' END
		FROM generate_series(0, 99999) g`,
	`INSERT INTO list_contacts (tenant_id, list_id, contact_id) SELECT $1, md5('list')::uuid, ('00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'))::uuid FROM generate_series(0, 99999) g`,
	`INSERT INTO campaign_contacts (tenant_id, campaign_id, contact_id, phone, time_zone, state, list_id, segment)
		SELECT $1, md5('campaign' || (g % 4))::uuid, c.id, c.phone, c.time_zone, 'done', md5('list')::uuid,
			CASE WHEN g % 5 = 0 THEN 'vip' ELSE 'regular' END
		FROM generate_series(0, 99999) g JOIN contacts c ON c.id = ('00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'))::uuid`,
	`INSERT INTO calls (id, tenant_id, campaign_id, contact_id, attempt, phone, state, outcome, reason, created_at, answered_at, ended_at,
			billable_seconds, script_version, segment, final_state, tags, silence_ms, opted_out)
		SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, $1, cc.campaign_id, cc.contact_id, g / 100000 + 1, cc.phone,
			CASE WHEN r.refuse THEN 'refused' ELSE 'ended' END,
			CASE WHEN r.refuse THEN NULL WHEN r.answer THEN 'answered' WHEN r.h2 % 3 = 0 THEN 'busy' ELSE 'no_answer' END,
			CASE WHEN r.refuse THEN (ARRAY['quiet_hours', 'daily_cap', 'dnc'])[1 + r.h2 % 3] END,
			r.at, CASE WHEN r.answer THEN r.at + interval '8 seconds' END,
			r.at + CASE WHEN r.answer THEN make_interval(secs => 38 + r.h2 % 120) ELSE interval '30 seconds' END,
			CASE WHEN r.answer THEN 30 + r.h2 % 120 ELSE 0 END,
			r.version, cc.segment, CASE WHEN r.answer THEN 'confirm' ELSE '' END,
			CASE WHEN r.answer AND r.h3 % 100 < CASE WHEN r.version = $3::text THEN 26 ELSE 22 END THEN ARRAY['outcome:confirmed'] ELSE '{}' END,
			CASE WHEN r.answer THEN r.h3 % 5000 ELSE 0 END, r.answer AND r.h3 % 97 = 0
		FROM generate_series(0, $4::int - 1) g
		JOIN campaign_contacts cc ON cc.campaign_id = md5('campaign' || (g % 100000 % 4))::uuid AND cc.contact_id = ('00000000-0000-7000-9000-' || lpad(to_hex((g % 100000)), 12, '0'))::uuid
		CROSS JOIN LATERAL (SELECT $5::timestamptz - interval '60 days' + make_interval(secs => g * (5184000.0 / $4::int)) AS at,
			(hashint4(g) & 2147483647) AS h1, (hashint4(g + 1000003) & 2147483647) AS h2, (hashint4(g + 2000003) & 2147483647) AS h3) t
		CROSS JOIN LATERAL (SELECT t.at, t.h2, t.h3, t.h1 % 100 < 5 AS refuse,
			t.h1 % 100 >= 5 AND t.h2 % 100 < CASE WHEN extract(hour FROM t.at AT TIME ZONE cc.time_zone) BETWEEN 19 AND 20 THEN 60
				WHEN extract(hour FROM t.at AT TIME ZONE cc.time_zone) BETWEEN 9 AND 11 THEN 25 ELSE 40 END AS answer,
			CASE WHEN g % 100000 % 4 < 2 AND hashint4(g % 100000) % 2 = 0 THEN $3::text ELSE $2::text END AS version) r`,
	`INSERT INTO call_turns (tenant_id, call_id, seq, state, said, heard, intent, sentiment, sentiment_label, sensitive, started_at, ended_at)
		SELECT $1, c.id, s.seq,
			CASE s.seq WHEN 1 THEN 'greeting' WHEN 2 THEN (ARRAY['confirm', 'objection', 'greeting', 'callback'])[1 + k.k]
				ELSE (ARRAY['', 'confirm', 'callback', ''])[1 + k.k] END,
			'您好,这里是某某商城', (ARRAY['是的', '不要', '你们是哪家公司', '晚点再说', '滚'])[1 + (k.k + s.seq) % 5],
			(ARRAY['affirm', 'deny', 'no_match', 'later'])[1 + (k.k + s.seq) % 4],
			(ARRAY[0.6, -0.5, 0, 0.1, -1])[1 + (k.k + s.seq) % 5], CASE WHEN (k.k + s.seq) % 5 = 4 THEN 'angry' ELSE '' END,
			CASE WHEN (k.k + s.seq) % 5 = 4 THEN ARRAY['滚'] ELSE '{}' END, c.answered_at, c.answered_at
		FROM calls c CROSS JOIN LATERAL (SELECT (hashtext(c.id::text) & 2147483647) % 4 AS k) k
		CROSS JOIN LATERAL generate_series(1, CASE WHEN k.k IN (1, 2) THEN 3 ELSE 2 END) s(seq)
		WHERE c.tenant_id = $1 AND c.answered_at IS NOT NULL`,
	`ANALYZE`,
}

func benchReports(cmd *cobra.Command, report func(string, float64, string)) error {
	ctx := cmd.Context()
	env, cleanup, err := openBench(ctx, "Bench", "bench@example.com")
	if err != nil {
		return err
	}
	defer cleanup()
	p := env.P
	svc := reports.New(reports.Options{DB: env.DB})
	versionA, versionB := uuid.NewSHA1(uuid.NameSpaceOID, []byte("A")), uuid.NewSHA1(uuid.NameSpaceOID, []byte("B"))
	now := time.Now().Truncate(time.Hour)
	n := benchCallCount()

	// Seed as the owning role, which row-level security does not bind.
	start := time.Now()
	conn, err := pgx.Connect(ctx, env.URL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for i, q := range seedReportsSQL {
		args := []any{}
		switch {
		case i == 2 || i == 3:
			args = []any{p.TenantID, versionA, versionB}
		case i == 7:
			args = []any{p.TenantID, versionA, versionB, n, now}
		case q != `ANALYZE`:
			args = []any{p.TenantID}
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("seed step %d: %w", i+1, err)
		}
	}
	report("report_seed_s", time.Since(start).Seconds(), "s")
	fmt.Fprintf(os.Stderr, "seeded %d calls in %s\n", n, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	if _, err := svc.Rebuild(ctx, p); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `ANALYZE report_calls; ANALYZE report_counts`); err != nil {
		return err
	}
	report("report_rebuild_s", time.Since(start).Seconds(), "s")

	var campaign uuid.UUID
	if err := conn.QueryRow(ctx, `SELECT md5('campaign0')::uuid`).Scan(&campaign); err != nil {
		return err
	}
	var rollupRows int
	conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM report_calls) + (SELECT count(*) FROM report_counts)`).Scan(&rollupRows)
	fmt.Fprintf(os.Stderr, "rollup rows: %d\n", rollupRows)

	filters := []reports.Filter{
		{},
		{CampaignID: &campaign},
		{CampaignID: &campaign, ScriptVersion: versionA.String()},
		{From: now.AddDate(0, 0, -14), To: now.AddDate(0, 0, -7)},
	}
	timed := []struct {
		name string
		run  func(reports.Filter) error
	}{
		{"outcomes", func(f reports.Filter) error { _, err := svc.Outcomes(ctx, p, f); return err }},
		{"funnel", func(f reports.Filter) error {
			if f.ScriptVersion == "" {
				f.ScriptVersion = versionA.String()
			}
			_, err := svc.Funnel(ctx, p, f)
			return err
		}},
		{"topics", func(f reports.Filter) error { _, err := svc.Topics(ctx, p, f); return err }},
		{"sentiment", func(f reports.Filter) error { _, err := svc.Sentiment(ctx, p, f); return err }},
		{"time", func(f reports.Filter) error { _, err := svc.Time(ctx, p, f); return err }},
		{"ab", func(f reports.Filter) error { _, err := svc.AB(ctx, p, f); return err }},
	}
	const rounds = 10
	var all []time.Duration
	for _, r := range timed {
		var times []time.Duration
		for round := 0; round <= rounds; round++ {
			for _, f := range filters {
				t0 := time.Now()
				if err := r.run(f); err != nil {
					return fmt.Errorf("%s: %w", r.name, err)
				}
				if round > 0 { // the first round warms the cache
					times = append(times, time.Since(t0))
				}
			}
		}
		all = append(all, times...)
		report("report_"+r.name+"_p95_ms", ms(p95(times)), "ms")
	}
	report("report_p95_ms", ms(p95(all)), "ms")

	// A sanity figure, so a broken seed cannot pass for a fast report.
	out, err := svc.Outcomes(ctx, p, reports.Filter{})
	if err != nil {
		return err
	}
	if out.Attempts != n {
		return fmt.Errorf("the outcomes report counts %d attempts of %d seeded", out.Attempts, n)
	}
	report("report_connect_rate_pct", out.ConnectRate*100, "%")
	return nil
}

func p95(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)*95+99)/100-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
