package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// billingSettings are the Stripe options of the service commands. The two
// secrets are read from their flags or else from the environment when the
// service starts, never shown as flag defaults, so `outcall help` and
// logged command lines do not print them.
type billingSettings struct {
	StripeKey     string
	WebhookSecret string
	APIBase       string
}

// addBillingFlags declares the Stripe flags on cmd.
func addBillingFlags(cmd *cobra.Command, b *billingSettings) {
	fs := cmd.Flags()
	fs.StringVar(&b.StripeKey, "stripe-key", "", "Stripe secret API key (sk_…); without it usage is recorded and shown but not charged ["+envName("stripe-key")+"]")
	fs.StringVar(&b.WebhookSecret, "stripe-webhook-secret", "", "signing secret of the Stripe webhook endpoint POST /v1/stripe/webhook (whsec_…) ["+envName("stripe-webhook-secret")+"]")
	stringFlag(fs, &b.APIBase, "stripe-api-base", "", "Stripe API base URL, e.g. http://127.0.0.1:12111 for stripe-mock (default: Stripe itself)")
}

// service returns the billing service these settings describe, queueing
// its jobs through jobs (newBilling).
func (b *billingSettings) service(db *tenants.DB, log *slog.Logger, jobs webhooks.JobInserter) *billing.Service {
	key, secret := b.StripeKey, b.WebhookSecret
	if key == "" {
		key = os.Getenv(envName("stripe-key"))
	}
	if secret == "" {
		secret = os.Getenv(envName("stripe-webhook-secret"))
	}
	svc := newBilling(billing.Config{DB: db, Logger: log, StripeKey: key, WebhookSecret: secret, APIBase: b.APIBase, MaxNetworkRetries: 2}, jobs)
	if svc.Enabled() {
		log.Info("billing through Stripe is on", slog.Bool("webhooks", secret != ""), slog.Bool("custom_api_base", b.APIBase != ""))
	} else {
		log.Info("billing is off (no Stripe key): usage is recorded and shown, not charged")
	}
	return svc
}
