package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/outcall/outcall/api"
	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/tenants/admin"
)

// `outcall admin …` is what a platform operator runs on a machine with the
// database: tokens for the admin API, plans, tenants' plans and
// suspension, usage and the audit trail. Its changes are recorded in the
// audit trail as "cli (<system user>)".
func init() {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operate the platform: plans, tenants' plans and suspension, usage, admin API tokens (needs the database)",
	}
	cmd.AddCommand(adminTokenCmd(), adminPlansCmd(), adminTenantsCmd(), adminScriptsCmd(), adminAuditCmd(), adminOpenAPICmd())
	rootCmd.AddCommand(cmd)
}

// adminFunc is what one admin subcommand does, with the admin service on
// its database and the operator at the command line.
type adminFunc func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, op admin.Operator, args []string) error

// adminCommand makes c an admin subcommand that runs run: it takes
// --database-url (or OUTCALL_DATABASE_URL), opens the database and the
// admin service on it, and its errors say which flag or argument was
// wrong.
func adminCommand(c *cobra.Command, run adminFunc) *cobra.Command {
	var dbURL string
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if dbURL == "" {
			return errors.New("no database: set --database-url or OUTCALL_DATABASE_URL")
		}
		ctx := cmd.Context()
		db, err := tenants.Open(ctx, dbURL)
		if err != nil {
			return err
		}
		defer db.Close()
		return cliError(run(ctx, cmd, admin.New(admin.Options{DB: db}), admin.CLI(systemUser()), args))
	}
	bindDatabaseURL(c, &dbURL)
	return c
}

func systemUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// cliError names a flag where an error names an API field ("body.daily_calls"
// becomes --daily-calls).
func cliError(err error) error {
	var e *tenants.Error
	if !errors.As(err, &e) || e.Field == "" {
		return err
	}
	field := strings.TrimPrefix(e.Field, "body.")
	item := ""
	if i := strings.IndexByte(field, '['); i >= 0 {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.SplitN(field[i+1:], "]", 2)[0], "]"))
		field, item = field[:i], fmt.Sprintf(" (item %d)", n+1)
	}
	switch field {
	case "name", "plan":
		return fmt.Errorf("%s: %s", strings.ToUpper(field), e.Message)
	case "script_cpu_per_turn_ms":
		field = "script-cpu-ms"
	}
	return fmt.Errorf("--%s%s: %s", strings.ReplaceAll(field, "_", "-"), item, e.Message)
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows under a header, aligned.
func table(w io.Writer, header string, rows []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	return tw.Flush()
}

func adminTokenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Tokens for the admin API (outcall serve --admin-addr)"}
	var name string
	create := adminCommand(&cobra.Command{
		Use:   "create --name NAME",
		Short: "Make a platform-admin token; its secret is shown this once",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, op admin.Operator, _ []string) error {
		tok, err := svc.CreateToken(ctx, op, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s\n", tok.Secret)
		fmt.Fprintf(cmd.ErrOrStderr(), "admin token %s (%s) made; the line above is its secret, shown only now: send it as Authorization: Bearer …\n", tok.Prefix, tok.Name)
		return nil
	})
	create.Flags().StringVar(&name, "name", "", "whose the token is or where it is used (required)")

	list := adminCommand(&cobra.Command{
		Use:   "list",
		Short: "List admin tokens (never their secrets)",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, _ admin.Operator, _ []string) error {
		toks, err := svc.Tokens(ctx)
		if err != nil {
			return err
		}
		rows := make([]string, 0, len(toks))
		for _, t := range toks {
			rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s\t%s", t.Prefix, t.Name, t.CreatedAt.UTC().Format(time.RFC3339), when(t.LastUsedAt), when(t.RevokedAt)))
		}
		return table(cmd.OutOrStdout(), "PREFIX\tNAME\tCREATED\tLAST USED\tREVOKED", rows)
	})

	revoke := adminCommand(&cobra.Command{
		Use:   "revoke PREFIX",
		Short: "Revoke an admin token by its prefix (oca_…)",
		Args:  cobra.ExactArgs(1),
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, op admin.Operator, args []string) error {
		if err := svc.RevokeToken(ctx, op, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
		return nil
	})
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// bindDatabaseURL declares --database-url on cmd into p.
func bindDatabaseURL(cmd *cobra.Command, p *string) {
	stringFlag(cmd.Flags(), p, "database-url", "", "PostgreSQL URL of outcall's database")
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// planFlags are the flags that set a plan's fields; only those given
// change (on create, the rest take billing.NewPlanDefaults).
type planFlags struct {
	title, currency, minutesMeter, attemptsMeter           string
	lines, daily                                           int
	cps                                                    float64
	cpuMS, includedMinutes, perMinute, perAttempt, monthly int64
	destinations, prices                                   []string
	public                                                 bool
}

func (f *planFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.title, "title", "", "the plan's name as people read it")
	fs.IntVar(&f.lines, "concurrent-lines", 0, fmt.Sprintf("calls in progress at once (1–%d)", billing.MaxPlanLines))
	fs.Float64Var(&f.cps, "calls-per-second", 0, "the pace of new dials the plan allows, shown to its tenants (pacing follows their compliance settings); 0: none of its own")
	fs.IntVar(&f.daily, "daily-calls", 0, "dials a tenant starts per day, in its time zone")
	fs.Int64Var(&f.cpuMS, "script-cpu-ms", 0, "the dialog script's CPU budget per turn, in milliseconds (at most 1000)")
	fs.Int64Var(&f.includedMinutes, "included-minutes", 0, "connected minutes allowed in all; 0: no such limit")
	fs.StringSliceVar(&f.destinations, "destinations", nil, `ISO 3166 regions the tenants may dial, comma-separated (CN,HK); "" for any`)
	fs.Int64Var(&f.perMinute, "per-minute-cents", 0, "price of a started minute, in hundredths of the currency")
	fs.Int64Var(&f.perAttempt, "per-attempt-cents", 0, "price of a dial attempt")
	fs.Int64Var(&f.monthly, "monthly-cents", 0, "monthly fee")
	fs.StringVar(&f.currency, "currency", "", "ISO 4217 code, as Stripe spells it (usd, cny, eur)")
	fs.StringSliceVar(&f.prices, "stripe-prices", nil, `the plan's Stripe prices, comma-separated: a price id (price_…) or a lookup key, each with "metered:" before it when it bills a meter; "" for none`)
	fs.StringVar(&f.minutesMeter, "minutes-meter", "", "event name of the Stripe Billing Meter for minutes")
	fs.StringVar(&f.attemptsMeter, "attempts-meter", "", "event name of the Stripe Billing Meter for attempts")
	fs.BoolVar(&f.public, "public", false, "list the plan to every tenant (--public=false: only to its tenants)")
}

// change returns what the flags given set.
func (f *planFlags) change(fs *pflag.FlagSet) billing.PlanChange {
	c := billing.PlanChange{
		Title:              given(fs, "title", &f.title),
		ConcurrentLines:    given(fs, "concurrent-lines", &f.lines),
		CallsPerSecond:     given(fs, "calls-per-second", &f.cps),
		DailyCalls:         given(fs, "daily-calls", &f.daily),
		ScriptCPUPerTurnMS: given(fs, "script-cpu-ms", &f.cpuMS),
		IncludedMinutes:    given(fs, "included-minutes", &f.includedMinutes),
		PerMinuteCents:     given(fs, "per-minute-cents", &f.perMinute),
		PerAttemptCents:    given(fs, "per-attempt-cents", &f.perAttempt),
		MonthlyCents:       given(fs, "monthly-cents", &f.monthly),
		Currency:           given(fs, "currency", &f.currency),
		MinutesMeter:       given(fs, "minutes-meter", &f.minutesMeter),
		AttemptsMeter:      given(fs, "attempts-meter", &f.attemptsMeter),
		Public:             given(fs, "public", &f.public),
	}
	if fs.Changed("destinations") {
		d := append([]string{}, f.destinations...)
		c.Destinations = &d
	}
	if fs.Changed("stripe-prices") {
		prices := []billing.StripePrice{}
		for _, p := range f.prices {
			sp := billing.StripePrice{}
			p, sp.Metered = strings.CutPrefix(strings.TrimSpace(p), "metered:")
			if strings.HasPrefix(p, "price_") {
				sp.ID = p
			} else {
				sp.LookupKey = p
			}
			prices = append(prices, sp)
		}
		c.StripePrices = &prices
	}
	return c
}

// given returns v when the flag called name was given, and nil otherwise:
// a change sets only what the command line says.
func given[T any](fs *pflag.FlagSet, name string, v *T) *T {
	if fs.Changed(name) {
		return v
	}
	return nil
}

func adminPlansCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "plans", Short: "Plans: what tenants may do and what it costs"}
	var asJSON bool
	list := adminCommand(&cobra.Command{
		Use:   "list",
		Short: "List every plan, cheapest first",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, _ admin.Operator, _ []string) error {
		plans, err := svc.Plans(ctx)
		if err != nil || asJSON {
			if err == nil {
				err = printJSON(cmd.OutOrStdout(), plans)
			}
			return err
		}
		rows := make([]string, 0, len(plans))
		for _, p := range plans {
			dest := strings.Join(p.Destinations, ",")
			if dest == "" {
				dest = "any"
			}
			rows = append(rows, fmt.Sprintf("%s\t%s\t%d\t%g\t%d\t%d\t%d\t%s\t%d/%d/%d %s\t%v",
				p.Name, p.Title, p.ConcurrentLines, p.CallsPerSecond, p.DailyCalls, p.ScriptCPUPerTurn.Milliseconds(), p.IncludedMinutes, dest,
				p.PerMinuteCents, p.PerAttemptCents, p.MonthlyCents, p.Currency, p.Public))
		}
		return table(cmd.OutOrStdout(), "NAME\tTITLE\tLINES\tCPS\tDAILY\tCPU MS\tMINUTES\tDESTINATIONS\tMINUTE/ATTEMPT/MONTH CENTS\tPUBLIC", rows)
	})
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	show := adminCommand(&cobra.Command{
		Use:   "show NAME",
		Short: "Show a plan (JSON)",
		Args:  cobra.ExactArgs(1),
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, _ admin.Operator, args []string) error {
		p, err := svc.Plan(ctx, args[0])
		if err != nil {
			return err
		}
		return printJSON(cmd.OutOrStdout(), p)
	})

	var cf planFlags
	create := adminCommand(&cobra.Command{
		Use:   "create NAME [flags]",
		Short: "Create a plan; the flags not given take the defaults (2 lines, 200 calls a day, 50 ms, usd, any destination, not public)",
		Example: "  outcall admin plans create cn-1000 --title '1000 lines' --concurrent-lines 1000 --daily-calls 100000 \\\n" +
			"    --calls-per-second 50 --script-cpu-ms 200 --destinations CN --currency cny --per-minute-cents 8",
		Args: cobra.ExactArgs(1),
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, op admin.Operator, args []string) error {
		p, err := svc.CreatePlan(ctx, op, args[0], cf.change(cmd.Flags()))
		if err != nil {
			return err
		}
		return printJSON(cmd.OutOrStdout(), p)
	})
	cf.add(create.Flags())

	var uf planFlags
	update := adminCommand(&cobra.Command{
		Use:     "update NAME [flags]",
		Short:   "Change the fields of a plan the flags give; its tenants get them at their next dial check",
		Example: "  outcall admin plans update pro --concurrent-lines 500 --destinations CN,HK",
		Args:    cobra.ExactArgs(1),
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, op admin.Operator, args []string) error {
		c := uf.change(cmd.Flags())
		if c == (billing.PlanChange{}) {
			return errors.New("nothing to change: give the flags of the fields to change (outcall admin plans update --help)")
		}
		p, err := svc.UpdatePlan(ctx, op, args[0], c)
		if err != nil {
			return err
		}
		return printJSON(cmd.OutOrStdout(), p)
	})
	uf.add(update.Flags())
	cmd.AddCommand(list, show, create, update)
	return cmd
}

func parseTenant(arg string) (uuid.UUID, error) {
	id, err := uuid.Parse(arg)
	if err != nil {
		return uuid.Nil, fmt.Errorf("TENANT: %q is not a tenant id (outcall admin tenants list shows them)", arg)
	}
	return id, nil
}

func tenantRow(t admin.TenantUsage) string {
	state := "active"
	if t.SuspendedAt != nil {
		state = "suspended since " + t.SuspendedAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s", t.ID, t.Name, t.Plan, state, t.Calls, t.Minutes, t.Attempts, adminMoney(t.AmountCents, t.Currency))
}

const tenantHeader = "ID\tNAME\tPLAN\tSTATE\tCALLS\tMINUTES\tATTEMPTS\tCHARGE"

func adminMoney(cents int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", cents/100, cents%100, strings.ToUpper(currency))
}

func adminTenantsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tenants", Short: "Tenants: their usage this month, their plan, suspension"}
	var asJSON bool
	list := adminCommand(&cobra.Command{
		Use:   "list",
		Short: "List every tenant with its plan and usage this month (UTC)",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, _ admin.Operator, _ []string) error {
		var all []admin.TenantUsage
		var after *uuid.UUID
		for {
			page, err := svc.Tenants(ctx, after, admin.MaxPage)
			if err != nil {
				return err
			}
			all = append(all, page...)
			if len(page) < admin.MaxPage {
				break
			}
			after = &page[len(page)-1].ID
		}
		if asJSON {
			return printJSON(cmd.OutOrStdout(), all)
		}
		rows := make([]string, 0, len(all))
		for _, t := range all {
			rows = append(rows, tenantRow(t))
		}
		return table(cmd.OutOrStdout(), tenantHeader, rows)
	})
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	// one is a subcommand about one tenant that prints it afterwards.
	one := func(use, short string, nargs int, do func(ctx context.Context, svc *admin.Service, op admin.Operator, id uuid.UUID, args []string) (admin.TenantUsage, error)) *cobra.Command {
		return adminCommand(&cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.ExactArgs(nargs),
		}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, op admin.Operator, args []string) error {
			id, err := parseTenant(args[0])
			if err != nil {
				return err
			}
			t, err := do(ctx, svc, op, id, args[1:])
			if err != nil {
				return err
			}
			return table(cmd.OutOrStdout(), tenantHeader, []string{tenantRow(t)})
		})
	}
	show := one("show TENANT", "Show a tenant with its plan and usage this month", 1,
		func(ctx context.Context, svc *admin.Service, _ admin.Operator, id uuid.UUID, _ []string) (admin.TenantUsage, error) {
			return svc.Tenant(ctx, id)
		})
	plan := one("plan TENANT PLAN", "Put a tenant on a plan (its new limits apply from its next dial check)", 2,
		func(ctx context.Context, svc *admin.Service, op admin.Operator, id uuid.UUID, args []string) (admin.TenantUsage, error) {
			return svc.AssignPlan(ctx, op, id, args[0])
		})
	var reason string
	suspend := one("suspend TENANT", "Suspend a tenant: its new dials are refused, calls in progress finish", 1,
		func(ctx context.Context, svc *admin.Service, op admin.Operator, id uuid.UUID, _ []string) (admin.TenantUsage, error) {
			return svc.Suspend(ctx, op, id, reason)
		})
	suspend.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	resume := one("resume TENANT", "Let a suspended tenant dial again", 1,
		func(ctx context.Context, svc *admin.Service, op admin.Operator, id uuid.UUID, _ []string) (admin.TenantUsage, error) {
			return svc.Resume(ctx, op, id)
		})
	cmd.AddCommand(list, show, plan, suspend, resume)
	return cmd
}

func adminAuditCmd() *cobra.Command {
	var tenant string
	var limit int
	cmd := adminCommand(&cobra.Command{
		Use:   "audit",
		Short: "Show what operators changed, newest first",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, _ admin.Operator, _ []string) error {
		var tenantID *uuid.UUID
		if tenant != "" {
			id, err := uuid.Parse(tenant)
			if err != nil {
				return fmt.Errorf("--tenant: %q is not a tenant id", tenant)
			}
			tenantID = &id
		}
		if limit < 1 || limit > admin.MaxPage {
			return fmt.Errorf("--limit: give 1 to %d", admin.MaxPage)
		}
		entries, err := svc.Audit(ctx, tenantID, nil, limit)
		if err != nil {
			return err
		}
		rows := make([]string, 0, len(entries))
		for _, e := range entries {
			about := ""
			if e.Plan != nil {
				about = "plan " + *e.Plan
			}
			if e.TenantID != nil {
				about = strings.TrimSpace(about + " tenant " + e.TenantID.String())
			}
			rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s\t%s", e.At.UTC().Format(time.RFC3339), e.Actor, e.Action, about, compact(e.Detail)))
		}
		return table(cmd.OutOrStdout(), "AT\tACTOR\tACTION\tABOUT\tDETAIL", rows)
	})
	cmd.Flags().StringVar(&tenant, "tenant", "", "only the changes about this tenant")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many entries")
	return cmd
}

var spaces = regexp.MustCompile(`\s+`)

// compact shortens an audit entry's detail to one line.
func compact(detail json.RawMessage) string {
	s := spaces.ReplaceAllString(string(detail), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

func adminOpenAPICmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Write the admin API's OpenAPI document (YAML), which the tenants' document does not hold",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := api.NewAdmin(api.AdminConfig{}).OpenAPI().YAML()
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			return os.WriteFile(out, b, 0o644)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write (default: standard output)")
	return cmd
}

func adminScriptsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scripts", Short: "Tenant scripts the script hosts refuse because one brought a host down"}
	list := adminCommand(&cobra.Command{
		Use:   "quarantined",
		Short: "List the quarantined scripts (by key: a hash of the source), newest first",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, _ admin.Operator, _ []string) error {
		qs, err := svc.QuarantinedScripts(ctx)
		if err != nil {
			return err
		}
		rows := make([]string, 0, len(qs))
		for _, q := range qs {
			rows = append(rows, fmt.Sprintf("%s\t%s\t%s", q.Key, q.At.UTC().Format(time.RFC3339), q.Why))
		}
		return table(cmd.OutOrStdout(), "KEY\tQUARANTINED\tWHY", rows)
	})
	release := adminCommand(&cobra.Command{
		Use:   "release KEY",
		Short: "Let every process run a quarantined script again (within 15 s); it is quarantined again if it brings a host down again",
		Args:  cobra.ExactArgs(1),
	}, func(ctx context.Context, cmd *cobra.Command, svc *admin.Service, op admin.Operator, args []string) error {
		if err := svc.ReleaseScript(ctx, op, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "released %s\n", args[0])
		return nil
	})
	cmd.AddCommand(list, release)
	return cmd
}
