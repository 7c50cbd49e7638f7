package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/google/uuid"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/migrations"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/examples"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/tenants/localpg"
)

// The demo tenant `outcall dev` seeds on first start.
const (
	demoTenant   = "演示商城 Demo Shop"
	demoEmail    = "demo@outcall.local"
	demoPassword = "outcall-demo"
)

func init() {
	var s settings
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything on this machine: a local PostgreSQL under .data/, migrations, a demo tenant, the API and the workers",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), &s)
		},
	}
	addServiceFlags(cmd, &s)
	stringFlag(cmd.Flags(), &s.DataDir, "data-dir", ".data", "folder for the local PostgreSQL cluster and other local state")
	intFlag(cmd.Flags(), &s.PGPort, "pg-port", 54329, "port of the local PostgreSQL cluster on 127.0.0.1 (0: none, only its Unix socket under the data folder)")
	rootCmd.AddCommand(cmd)
}

func runDev(ctx context.Context, s *settings) error {
	s.API, s.Workers = true, true
	if s.Telephony.Recordings == filepath.Join(".data", "recordings") {
		s.Telephony.Recordings = filepath.Join(s.DataDir, "recordings")
	}
	if s.DatabaseURL == "" {
		cluster, err := localpg.New(filepath.Join(s.DataDir, "pg"), s.PGPort)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "starting local PostgreSQL in %s\n", cluster.Dir)
		if err := cluster.Start(ctx); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "local PostgreSQL listens on %s\n", cluster.Addr())
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			fmt.Fprintln(os.Stderr, "stopping local PostgreSQL")
			if err := cluster.Stop(stopCtx); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}()
		if err := cluster.CreateDatabase(ctx, "outcall"); err != nil {
			return err
		}
		s.DatabaseURL = cluster.URL("outcall")
	}
	if err := migrations.Up(ctx, s.DatabaseURL); err != nil {
		return err
	}
	if s.SecretKey == "" && os.Getenv(envName("secret-key")) == "" {
		key, err := devSecretKey(s.DataDir)
		if err != nil {
			return err
		}
		s.SecretKey = key
	}
	key, err := seedDemo(ctx, s)
	if err != nil {
		return err
	}
	if err := seedDemoCampaign(ctx, s); err != nil {
		return err
	}
	return runService(ctx, s, func(addr string) {
		host := addr
		if strings.HasPrefix(host, "[::]") || strings.HasPrefix(host, "0.0.0.0") || strings.HasPrefix(host, ":") {
			host = "localhost" + host[strings.LastIndex(host, ":"):]
		}
		fmt.Printf("\noutcall is running at http://%s\n", host)
		fmt.Printf("  API docs:   http://%s/docs   (OpenAPI: /openapi.json)\n", host)
		fmt.Printf("  demo login: %s / %s  (POST /v1/login)\n", demoEmail, demoPassword)
		if key != "" {
			fmt.Printf("  demo key:   %s  (Authorization: Bearer …)\n", key)
		}
		fmt.Printf("  stop with Ctrl-C\n\n")
	})
}

// seedDemo creates the demo tenant once and keeps its first API key in the
// data folder (mode 0600), so every start can print it.
func seedDemo(ctx context.Context, s *settings) (string, error) {
	keyFile := filepath.Join(s.DataDir, "demo-api-key")
	db, err := tenants.Open(ctx, s.DatabaseURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	su, err := tenants.NewService(db).Signup(ctx, tenants.SignupRequest{TenantName: demoTenant, Email: demoEmail, Password: demoPassword, Name: "Demo"})
	if tenants.ErrorCode(err) == tenants.EConflict {
		b, _ := os.ReadFile(keyFile)
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil {
		return "", fmt.Errorf("seed the demo tenant: %w", err)
	}
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(keyFile, []byte(su.Key.Secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return su.Key.Secret, nil
}

// seedDemoCampaign gives the demo tenant, once, the example scripts (the
// order confirmation published), the agent desk's queue "service", a list
// of 30 contacts and a draft campaign
// dialling them with it: start it in the portal or with
// POST /v1/campaigns/{id}/start and watch callee-sim answer.
func seedDemoCampaign(ctx context.Context, s *settings) error {
	db, err := tenants.Open(ctx, s.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := tenants.NewService(db)
	sess, err := svc.Login(ctx, demoEmail, demoPassword)
	if err != nil {
		return nil // the demo owner changed its password: leave it alone
	}
	p, err := svc.AuthenticateSession(ctx, sess.Token)
	if err != nil {
		return err
	}
	defer svc.Logout(ctx, p)
	hosts, err := scripting.NewHostPool(scripting.HostConfig{Command: s.scriptHost, Env: s.scriptHostEnv, Hosts: 1})
	if err != nil {
		return err
	}
	defer hosts.Close()
	store := &scripting.Store{DB: db, Runner: hosts}
	if existing, err := store.ListScripts(ctx, p, "", 1, nil); err != nil || len(existing) > 0 {
		return err
	}
	files, _ := fs.Glob(examples.FS, "*.js")
	var published *scripting.StoredVersion
	for _, name := range files {
		src, _ := fs.ReadFile(examples.FS, name)
		sc, err := store.CreateScript(ctx, p, strings.TrimSuffix(name, ".js"), scripting.KindDialog, "example")
		if err != nil {
			return err
		}
		v, err := store.CreateVersion(ctx, p, sc.ID, string(src))
		if err != nil {
			return fmt.Errorf("seed example %s: %w", name, err)
		}
		if name == "order_confirmation.js" {
			if published, _, err = store.Publish(ctx, p, sc.ID, v.Number, nil, true); err != nil {
				return err
			}
		}
	}
	inserter, err := newInserter(db)
	if err != nil {
		return err
	}
	cs := campaigns.New(campaigns.Options{DB: db, Jobs: inserter})
	comp := campaigns.DefaultCompliance()
	comp.QuietHours = []string{} // the demo carrier answers at any hour
	if _, err := cs.SetCompliance(ctx, p, comp); err != nil {
		return err
	}
	// The agent desk's queue, served by the demo owner: a script's
	// transfer: "queue:service" rings the owner's desk in the portal.
	if p.UserID != nil {
		name := "service"
		if _, err := (&calls.Desk{DB: db}).CreateQueue(ctx, p, calls.QueueInput{Name: &name, AgentIDs: &[]uuid.UUID{*p.UserID}}); err != nil {
			return err
		}
	}
	ct := newContacts(db, inserter)
	list, err := ct.CreateList(ctx, p, "演示客户 demo contacts", "")
	if err != nil {
		return err
	}
	var csv strings.Builder
	csv.WriteString("phone,name,item,amount,vip\n")
	names := []string{"王先生", "李女士", "张先生", "刘女士", "陈先生", "杨女士"}
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&csv, "1390000%04d,%s,蓝牙耳机,%d,%t\n", i, names[i%len(names)], 99+i*10, i%3 == 0)
	}
	if _, err := ct.CreateImport(ctx, p, list.ID, []byte(csv.String()), contacts.ImportOptions{}); err != nil {
		return err
	}
	if published == nil {
		return nil
	}
	_, err = cs.CreateCampaign(ctx, p, campaigns.CampaignInput{Name: "演示:订单确认 demo", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: published.ID.String()})
	return err
}

// devSecretKey returns the development secret key kept in the data folder,
// making it on first use.
func devSecretKey(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "secret-key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	key := hex.EncodeToString(buf)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", err
	}
	return key, os.WriteFile(path, []byte(key+"\n"), 0o600)
}
