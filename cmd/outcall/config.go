package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/phone"
)

// settings are the options shared by the service commands. Each comes from
// a flag, else from its OUTCALL_* environment variable, else a default.
type settings struct {
	DatabaseURL     string
	Addr            string
	MetricsAddr     string
	LogLevel        string
	LogFormat       string
	API             bool
	Workers         bool
	MaxWorkers      int
	InsecureCookies bool
	DataDir         string
	PGPort          int
	// WebhooksAllowPrivate lets webhook endpoints point at internal addresses.
	WebhooksAllowPrivate bool
	// scriptHost overrides how script hosts start (tests run their own
	// binary as the host); nil means this executable's `script-host`.
	scriptHost, scriptHostEnv []string
	// listening, when set, is told the address the process serves HTTP on
	// (the API's, or a worker's metrics) once it listens: tests bind port 0.
	listening func(addr string)
	// Billing holds the Stripe options (billing_flags.go).
	Billing billingSettings
	// Telephony says where calls go (telephony_flags.go).
	Telephony telephonySettings
	// SMTPURL is the mail server that sends verification links; PublicURL
	// is where people open the portal, for the links.
	SMTPURL, PublicURL string
	// SecretKey encrypts stored credentials (trunk passwords). Read from the
	// flag or OUTCALL_SECRET_KEY at start, never shown as a default.
	SecretKey string
	// AdminAddr is where the platform operators' admin API listens
	// (admin_serve.go); "" serves none.
	AdminAddr string
	// DrainTimeout is how long a stopping worker lets its calls in progress
	// finish before it hangs up on them (serve.go); 0 hangs up at once.
	DrainTimeout time.Duration
	// SpoolDir is where a worker keeps the ends of calls the database could
	// not take until it can (serve.go); "" means spool under DataDir.
	SpoolDir string
	// placer, when set, places the workers' calls instead of telephony
	// (tests).
	placer campaigns.Placer
}

// envName is the environment variable of a flag: --database-url → OUTCALL_DATABASE_URL.
func envName(flag string) string {
	return "OUTCALL_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func envDefault[T any](flag string, def T, parse func(string) (T, error)) T {
	if v, ok := os.LookupEnv(envName(flag)); ok && v != "" {
		if parsed, err := parse(v); err == nil {
			return parsed
		}
		fmt.Fprintf(os.Stderr, "outcall: ignoring %s=%q: not a valid value\n", envName(flag), v)
	}
	return def
}

func str(s string) (string, error) { return s, nil }

func stringFlag(fs *pflag.FlagSet, p *string, name, def, usage string) {
	fs.StringVar(p, name, envDefault(name, def, str), usage+" ["+envName(name)+"]")
}

func boolFlag(fs *pflag.FlagSet, p *bool, name string, def bool, usage string) {
	fs.BoolVar(p, name, envDefault(name, def, strconv.ParseBool), usage+" ["+envName(name)+"]")
}

func intFlag(fs *pflag.FlagSet, p *int, name string, def int, usage string) {
	fs.IntVar(p, name, envDefault(name, def, strconv.Atoi), usage+" ["+envName(name)+"]")
}

func addDatabaseFlag(cmd *cobra.Command, s *settings) {
	stringFlag(cmd.Flags(), &s.DatabaseURL, "database-url", "", "PostgreSQL URL (a role that owns outcall's tables; the service switches to the outcall_app role itself)")
}

func addServiceFlags(cmd *cobra.Command, s *settings) {
	fs := cmd.Flags()
	addDatabaseFlag(cmd, s)
	stringFlag(fs, &s.Addr, "addr", ":8080", "address the API listens on")
	stringFlag(fs, &s.MetricsAddr, "metrics-addr", "", "address that serves /metrics in a process without the API (a worker); the API serves it on --addr")
	stringFlag(fs, &s.LogLevel, "log-level", "info", "debug, info, warn or error")
	stringFlag(fs, &s.LogFormat, "log-format", "text", "text or json")
	intFlag(fs, &s.MaxWorkers, "max-workers", 100, "jobs this process runs at once")
	boolFlag(fs, &s.InsecureCookies, "insecure-cookies", false, "send session cookies without the Secure flag (plain HTTP beyond localhost)")
	boolFlag(fs, &s.WebhooksAllowPrivate, "webhooks-allow-private", cmd.Name() == "dev", "let webhook endpoints use loopback and private addresses (development only; on by default for dev)")
	addBillingFlags(cmd, &s.Billing)
	addTelephonyFlags(cmd, &s.Telephony)
	fs.StringVar(&s.SecretKey, "secret-key", "", "key that encrypts stored trunk passwords, 16+ characters; dev makes one in its data folder ["+envName("secret-key")+"]")
	fs.StringVar(&s.SMTPURL, "smtp-url", "", "mail server for verification links, smtp://user:password@host:587?from=no-reply@example.com; "+
		"with it a tenant verifies an address before its first campaign on the platform's lines ["+envName("smtp-url")+"]")
	stringFlag(fs, &s.PublicURL, "public-url", "", "where people open the portal (https://outcall.example), for links in mail")
}

func newLogger(s *settings) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactPhones}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// redactPhones masks anything that looks like a phone number in a log
// attribute (phone.MaskIn: 138****1234): code should log masked
// numbers already; this catches what slips through.
func redactPhones(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindString {
		return a
	}
	if v, masked := a.Value.String(), phone.MaskIn(a.Value.String()); masked != v {
		return slog.String(a.Key, masked)
	}
	return a
}
