package main

import (
	"context"
	"log/slog"
	"net"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/outcall/outcall/api"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/tenants/admin"
)

// addAdminAddrFlag declares --admin-addr, where `outcall serve` serves the
// platform operators' admin API (off by default).
func addAdminAddrFlag(cmd *cobra.Command, s *settings) {
	stringFlag(cmd.Flags(), &s.AdminAddr, "admin-addr", "",
		"address of the platform operators' admin API, apart from the tenants' API (e.g. 127.0.0.1:8081; tokens: outcall admin token create); empty: none")
}

// serveAdmin serves the admin API on addr in g until ctx ends; "" serves
// nothing. ready, when given, is told the address once it listens. An
// address beyond loopback is allowed (a private network) but logged, as
// the admin API changes every tenant's plan.
func serveAdmin(ctx context.Context, g *errgroup.Group, log *slog.Logger, addr string, db *tenants.DB, ready func(addr string)) error {
	if addr == "" {
		return nil
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			log.Warn("the admin API listens beyond loopback: keep --admin-addr off public networks", slog.String("addr", addr))
		}
	}
	srv := api.NewAdmin(api.AdminConfig{Admin: admin.New(admin.Options{DB: db}), Logger: log})
	return serveHTTP(ctx, g, log, "admin API", addr, srv.Handler(), ready)
}
