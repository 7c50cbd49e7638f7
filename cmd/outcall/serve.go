package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/outcall/outcall/api"
	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

func init() {
	var s settings
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API and run the job workers (either alone with --api=false or --workers=false)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if s.DatabaseURL == "" {
				return errors.New("no database: set --database-url or OUTCALL_DATABASE_URL, or run `outcall dev` for a local one")
			}
			return runService(cmd.Context(), &s, nil)
		},
	}
	addServiceFlags(serve, &s)
	boolFlag(serve.Flags(), &s.API, "api", true, "serve the API")
	boolFlag(serve.Flags(), &s.Workers, "workers", true, "run job workers")
	addDrainFlag(serve, &s)
	addSpoolFlag(serve, &s)
	addAdminAddrFlag(serve, &s)
	rootCmd.AddCommand(serve)

	var w settings
	worker := &cobra.Command{
		Use:   "worker",
		Short: "Run job workers only (scale out by running many against one database)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if w.DatabaseURL == "" {
				return errors.New("no database: set --database-url or OUTCALL_DATABASE_URL")
			}
			w.API, w.Workers = false, true
			return runService(cmd.Context(), &w, nil)
		},
	}
	addServiceFlags(worker, &w)
	addDrainFlag(worker, &w)
	addSpoolFlag(worker, &w)
	rootCmd.AddCommand(worker)
}

// defaultDrainTimeout is how long a stopping worker lets its calls finish.
const defaultDrainTimeout = 2 * time.Minute

// addDrainFlag adds --drain-timeout: on SIGTERM or SIGINT a worker starts
// no new call, lets the calls in progress finish for up to this long, and
// only then hangs up on the rest (recorded as interrupted).
func addDrainFlag(cmd *cobra.Command, s *settings) {
	name := "drain-timeout"
	cmd.Flags().DurationVar(&s.DrainTimeout, name, envDefault(name, defaultDrainTimeout, time.ParseDuration),
		"on SIGTERM/SIGINT, how long the workers let calls in progress finish (no new call starts) before hanging up on the rest, which are recorded as interrupted; the process exits within this plus "+
			jobs.CancelGrace.String()+"; 0 hangs up at once ["+envName(name)+"]")
}

// addSpoolFlag adds --spool-dir: where a worker keeps the end of a call
// (its outcome, turns, a callee's "stop") that the database cannot take,
// until it can (see jobs.Spool).
func addSpoolFlag(cmd *cobra.Command, s *settings) {
	stringFlag(cmd.Flags(), &s.SpoolDir, "spool-dir", defaultSpoolDir(""),
		"folder where the workers keep the ends of calls the database cannot record (an outage, a stop during one) until it can; keep it on a persistent disk, one per worker machine")
}

// defaultSpoolDir is the spool's folder under dataDir (default .data).
func defaultSpoolDir(dataDir string) string {
	return filepath.Join(cmp.Or(dataDir, ".data"), "spool")
}

// runService runs the API and/or the workers until ctx ends. ready, when
// given, is called once the API listens; s.listening, when set, once the
// API or a worker's metrics listen.
func runService(ctx context.Context, s *settings, ready func(addr string)) error {
	log := newLogger(s)
	slog.SetDefault(log)
	db, err := tenants.Open(ctx, s.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := waitForDatabase(ctx, db, log); err != nil {
		return err
	}
	// Tenant isolation rests on row-level security: never serve as a role
	// it would not hold.
	if err := migrations.CheckAppRole(ctx, db.Pool()); err != nil {
		return err
	}
	svc := tenants.NewService(db)
	if raw := cmp.Or(s.SMTPURL, os.Getenv(envName("smtp-url"))); raw != "" {
		mailer, err := tenants.ParseSMTPURL(raw)
		if err != nil {
			return err
		}
		if s.PublicURL == "" {
			return errors.New("with --smtp-url, set --public-url too: the verification links it mails point there")
		}
		svc.Mailer, svc.PublicURL = mailer, s.PublicURL
	}
	inserter, err := newInserter(db)
	if err != nil {
		return err
	}
	bill := s.Billing.service(db, log, inserter)

	// One registry for /metrics: the API's requests, this process's calls
	// and its script hosts.
	metrics := prometheus.NewRegistry()

	// Tenant code runs in script-host processes with a memory limit,
	// never in this one: live calls (and the segmentation of their
	// contacts) in one pool, the API's checks, simulations and previews in
	// another, so no API request can end a call.
	startPool := func(name string, n int) (*scripting.HostPool, error) {
		p, err := scripting.NewHostPool(scripting.HostConfig{Name: name, Hosts: n, Command: s.scriptHost, Env: s.scriptHostEnv, Metrics: metrics,
			Logf: func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...), "component", "script-host") },
			// A script that brought hosts down stays refused through
			// restarts and in every pool and process.
			Quarantine: scripting.QuarantineTable{DB: db}})
		if err != nil {
			return nil, fmt.Errorf("start the %s script hosts: %w", name, err)
		}
		return p, nil
	}
	var callHosts, apiHosts *scripting.HostPool
	if s.Workers {
		if callHosts, err = startPool("calls", 0); err != nil {
			return err
		}
		defer callHosts.Close()
	}
	if s.API {
		if apiHosts, err = startPool("api", 1); err != nil {
			return err
		}
		defer apiHosts.Close()
	}
	// Publishing a version queues its prompts' rendering in the tenant's
	// voice (jobs.RenderPromptsWorker).
	scripts := &scripting.Store{DB: db, Runner: cmp.Or(callHosts, apiHosts), Jobs: inserter}
	apiScripts := &scripting.Store{DB: db, Runner: apiHosts, Jobs: inserter}

	contacts := newContacts(db, inserter)
	rep := newReports(db)
	recordings := telephony.LocalRecordingStore{Dir: s.Telephony.Recordings}
	var trunks *telephony.TrunkStore
	if key := cmp.Or(s.SecretKey, os.Getenv(envName("secret-key"))); key != "" {
		if trunks, err = telephony.NewTrunkStore(db, key); err != nil {
			return err
		}
	} else {
		log.Warn("no secret key: tenants cannot add SIP trunks until OUTCALL_SECRET_KEY is set")
	}
	// A campaign starts only when its calls could hear the callees in its
	// script's language (the platform's --asr or the tenant's choice).
	hearing, err := s.Telephony.hearing(scripts, trunks)
	if err != nil {
		return err
	}
	camp := newCampaigns(db, inserter, scripts, startGate(svc, trunks), hearing.Check)
	var pinger telephony.Pinger
	desk, stopDesk, err := newDesk(ctx, db, inserter, &s.Telephony, log)
	if err != nil {
		return err
	}
	defer stopDesk()

	// How the workers stop: see jobs.Shutdown.
	drain := &jobs.Drain{}
	jcfg := jobs.Config{Tenants: svc, Logger: log, Work: s.Workers, MaxWorkers: s.MaxWorkers, Contacts: contacts, Campaigns: camp, Recordings: recordings,
		Webhooks: webhooks.DeliverWorker{Client: webhooks.NewHTTPClient(s.WebhooksAllowPrivate)}, Billing: bill, Drain: drain}
	if trunks != nil {
		// A tenant may name its provider's regional endpoint: it is reached
		// like a webhook receiver, never at a private address in production.
		jcfg.SMS = &telephony.SMSStore{Trunks: trunks, Client: webhooks.NewHTTPClient(s.WebhooksAllowPrivate)}
	}
	if s.Workers {
		callMetrics, err := calls.NewMetrics(metrics)
		if err != nil {
			return err
		}
		// What the placer starts (the SIP user agent, an in-process callee
		// simulator) carries the calls while the workers drain: it ends
		// with stop, after them, not with the signal.
		d, stop, err := s.Telephony.placer(context.WithoutCancel(ctx), log, scripts, callHosts, trunks, s.WebhooksAllowPrivate, callMetrics, desk)
		defer stop()
		if err != nil {
			return err
		}
		if d != nil {
			jcfg.Placer = d
			jcfg.Prompts = d
			pinger, _ = d.SIP.(telephony.Pinger)
			jcfg.Trunks, jcfg.Pinger = trunks, pinger
			jcfg.CallerIDs = d.CallerIDs
			// Trunks whose carriers want them registered stay registered
			// while this worker runs, with its own contact.
			if registerer, ok := d.SIP.(telephony.Registerer); ok && trunks != nil {
				regs := &telephony.Registrations{Dialer: registerer, Trunks: trunks, Logger: log}
				go regs.Run(ctx)
			}
		}
		if s.placer != nil {
			jcfg.Placer = s.placer
		}
		// The end of a call the database cannot take (an outage, a stop
		// during one) waits on disk until it can: see jobs.Spool.
		dir := cmp.Or(s.SpoolDir, os.Getenv(envName("spool-dir")), defaultSpoolDir(s.DataDir))
		if jcfg.Spool, err = newSpool(dir, camp, log, metrics); err != nil {
			return err
		}
	}
	jc, err := jobs.New(jcfg)
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	g, ctx := errgroup.WithContext(ctx)
	if s.Workers {
		// What an earlier run left in the spool is recorded before any
		// dial starts; the replayer then runs until the workers have
		// stopped, through the drain (whose closes may be spooled too).
		replayStart(ctx, jcfg.Spool, log)
		// River runs every job with a context derived from Start's, and
		// cancelling that context is a hard stop that cancels them all
		// (river.Client.Start): with the signal's, SIGTERM would hang up
		// every call at once. The jobs get a context the signal does not
		// end; the stop is jobs.Shutdown's: it drains (no new calls, the
		// calls in progress finish and are recorded) for up to
		// --drain-timeout (or until a second signal), and only then hangs
		// up on the rest.
		// A worker that starts while PostgreSQL is away (a restart, a
		// failover) waits for it, looking again every second, instead of
		// exiting.
		for {
			err := jc.Start(context.WithoutCancel(ctx))
			if err == nil {
				break
			}
			pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			away := db.Pool().Ping(pingCtx) != nil
			cancel()
			if !away || ctx.Err() != nil {
				return fmt.Errorf("start workers: %w", err)
			}
			log.Warn("the database is away: starting the workers again in a second", slog.Any("error", err))
			select {
			case <-ctx.Done():
				return fmt.Errorf("start workers: %w", err)
			case <-time.After(time.Second):
			}
		}
		log.Info("workers started", slog.Int("max_workers", s.MaxWorkers))
		replayCtx, stopReplay := context.WithCancel(context.WithoutCancel(ctx))
		replayed := make(chan struct{})
		go func() {
			defer close(replayed)
			jcfg.Spool.Run(replayCtx)
		}()
		g.Go(func() error {
			<-ctx.Done()
			// A second SIGTERM or SIGINT cuts the drain short.
			again, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err := jobs.Shutdown(again, jc, drain, s.DrainTimeout, log)
			stopReplay()
			<-replayed
			if n := jcfg.Spool.Len(); n > 0 {
				log.Warn("call ends left in the spool: the next start of this worker records them", slog.Int("closes", n), slog.String("spool", jcfg.Spool.Dir()))
			}
			return err
		})
	}
	if s.API {
		var models *llm.Tenants
		platform, err := s.Telephony.platformModel()
		if err != nil {
			return err
		}
		if trunks != nil {
			// The simulator asks tenants' models as calls do.
			models = &llm.Tenants{Load: calls.ModelSettings(&telephony.SpeechStore{Trunks: trunks}), HTTP: webhooks.NewHTTPClient(s.WebhooksAllowPrivate),
				Platform: platform}
		}
		srv := api.New(api.Config{Tenants: svc, Logger: log, InsecureCookies: s.InsecureCookies,
			Webhooks: newWebhooks(db, inserter, s.WebhooksAllowPrivate), Billing: bill,
			Scripts: apiScripts, Contacts: contacts, Campaigns: camp, Reports: rep, Recordings: recordings, Trunks: trunks, TrunkPinger: pinger, Metrics: metrics,
			Models: models, Desk: desk})
		if err := serveHTTP(ctx, g, log, "API", s.Addr, srv.Handler(), func(addr string) {
			if ready != nil {
				ready(addr)
			}
			if s.listening != nil {
				s.listening(addr)
			}
		}); err != nil {
			return err
		}
	}
	if err := serveAdmin(ctx, g, log, s.AdminAddr, db, nil); err != nil {
		return err
	}
	if !s.API && s.MetricsAddr != "" {
		// A worker shows its calls and script hosts on an address of its
		// own (the API adds the Go and process collectors itself).
		metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(metrics, promhttp.HandlerOpts{}))
		if err := serveHTTP(ctx, g, log, "metrics", s.MetricsAddr, mux, s.listening); err != nil {
			return err
		}
	}
	if !s.API && !s.Workers {
		return errors.New("nothing to run: both --api and --workers are off")
	}
	return g.Wait()
}

// replayStart replays the spool once, within a minute, before the workers
// start.
func replayStart(ctx context.Context, spool *jobs.Spool, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	left, err := spool.Replay(ctx)
	if err != nil || left > 0 {
		log.Warn("call ends still waiting in the spool: replayed in the background", slog.Int("closes", left), slog.String("spool", spool.Dir()), slog.Any("error", err))
	}
}

// serveHTTP listens on addr and serves h in g until ctx ends, then shuts
// the server down, giving requests under way 10 s. ready, when given, is
// called with the address once it listens.
func serveHTTP(ctx context.Context, g *errgroup.Group, log *slog.Logger, what, addr string, h http.Handler, ready func(addr string)) error {
	hs := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	log.Info(what+" listening", slog.String("addr", ln.Addr().String()))
	if ready != nil {
		ready(ln.Addr().String())
	}
	g.Go(func() error {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return hs.Shutdown(shutCtx)
	})
	return nil
}

// waitForDatabase returns once the database answers. A process that
// starts while PostgreSQL is away (a deploy during a restart or a
// failover) waits for it, looking again every second and saying so,
// instead of exiting; one the database refuses (a wrong password, no such
// database or role) stops at once, since waiting will not change that.
func waitForDatabase(ctx context.Context, db *tenants.DB, log *slog.Logger) error {
	for said := false; ; {
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := db.Pool().Ping(pingCtx)
		cancel()
		if err == nil {
			if said {
				log.Info("the database is back")
			}
			return nil
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "28") || strings.HasPrefix(pgErr.Code, "3D")) {
			return fmt.Errorf("the database refused the connection: %w", err)
		}
		if !said {
			log.Warn("the database is away: waiting for it, looking again every second", slog.Any("error", err))
			said = true
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped while waiting for the database: %w", err)
		case <-time.After(time.Second):
		}
	}
}
