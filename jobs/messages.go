package jobs

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
)

// SendMessageWorker sends a follow-up message (campaigns.SendMessage):
// a message that must wait (quiet hours, the daily cap, a provider that
// asked to be tried later) snoozes its job until then.
type SendMessageWorker struct {
	river.WorkerDefaults[campaigns.SendMessageArgs]
	Campaigns *campaigns.Service
	SMS       campaigns.SMSProviders
}

// Work sends the message or snoozes until it may be sent.
func (w *SendMessageWorker) Work(ctx context.Context, job *river.Job[campaigns.SendMessageArgs]) error {
	at, err := w.Campaigns.SendMessage(ctx, job.Args.TenantID, job.Args.MessageID, w.SMS)
	return snoozeUntil(at, err)
}

// MessageReceiptWorker records a sent message's carrier receipt
// (campaigns.CheckReceipt), looking again later while it is pending.
type MessageReceiptWorker struct {
	river.WorkerDefaults[campaigns.MessageReceiptArgs]
	Campaigns *campaigns.Service
	SMS       campaigns.SMSProviders
}

// Work records the receipt or snoozes until the next look.
func (w *MessageReceiptWorker) Work(ctx context.Context, job *river.Job[campaigns.MessageReceiptArgs]) error {
	at, err := w.Campaigns.CheckReceipt(ctx, job.Args.TenantID, job.Args.MessageID, w.SMS)
	return snoozeUntil(at, err)
}

func snoozeUntil(at time.Time, err error) error {
	if err != nil || at.IsZero() {
		return err
	}
	return river.JobSnooze(max(time.Until(at), time.Second))
}

// noSMS is the SMS providers of a process without a secret key: no tenant
// can have set one up.
type noSMS struct{}

func (noSMS) Provider(context.Context, uuid.UUID) (telephony.SMSProvider, *telephony.SMSSettings, error) {
	return nil, &telephony.SMSSettings{Provider: telephony.SMSOff}, telephony.ErrNoSMSProvider
}

func addMessageWork(workers *river.Workers, cfg *Config) {
	var sms campaigns.SMSProviders = noSMS{}
	if cfg.SMS != nil {
		sms = cfg.SMS
	}
	river.AddWorker(workers, &SendMessageWorker{Campaigns: cfg.Campaigns, SMS: sms})
	river.AddWorker(workers, &MessageReceiptWorker{Campaigns: cfg.Campaigns, SMS: sms})
}
