package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// FollowUp is a message a campaign sends a contact after its calls: an
// SMS from one of the tenant's approved templates (telephony.SMSTemplate,
// by name), when the contact's calls went unanswered or when one was
// answered. A follow-up is subject to the same compliance as a call (the
// do-not-call list, consent, quiet hours and days in the recipient's
// zone) and its own daily cap per number (Compliance.MaxDailyMessages).
type FollowUp struct {
	Channel  string `json:"channel"`
	Template string `json:"template"`
	When     string `json:"when"`
}

// When a follow-up is sent.
const (
	// FollowUpUnanswered: after the contact's last attempt, when it went
	// unanswered (no answer, busy, voicemail, failed) and the retry
	// policy has no attempt left.
	FollowUpUnanswered = "unanswered"
	// FollowUpAnswered: after a call the callee answered.
	FollowUpAnswered = "answered"
)

// ChannelSMS is the one follow-up channel.
const ChannelSMS = "sms"

func validateFollowUps(f []FollowUp) error {
	if len(f) > 5 {
		return FieldError("body.follow_ups", "at most 5 follow-ups")
	}
	for i, u := range f {
		field := fmt.Sprintf("body.follow_ups[%d]", i)
		if u.Channel != ChannelSMS {
			return FieldError(field+".channel", "channel %q: want sms", u.Channel)
		}
		if u.Template == "" {
			return FieldError(field+".template", "name one of the tenant's SMS templates (GET /v1/sms/settings)")
		}
		if u.When != FollowUpUnanswered && u.When != FollowUpAnswered {
			return FieldError(field+".when", "when %q: want unanswered or answered", u.When)
		}
	}
	return nil
}

func orNoFollowUps(f []FollowUp) []FollowUp {
	if f == nil {
		return []FollowUp{}
	}
	return f
}

// SendMessageArgs asks to send one follow-up message.
type SendMessageArgs struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	MessageID uuid.UUID `json:"message_id"`
}

// Kind names the job in River's table.
func (SendMessageArgs) Kind() string { return "message_send" }

// InsertOpts: one job per message.
func (SendMessageArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// MessageReceiptArgs asks for the carrier's receipt of one sent message.
type MessageReceiptArgs struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	MessageID uuid.UUID `json:"message_id"`
}

// Kind names the job in River's table.
func (MessageReceiptArgs) Kind() string { return "message_receipt" }

// InsertOpts: one job per message.
func (MessageReceiptArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

var unanswered = []telephony.Outcome{telephony.OutcomeNoAnswer, telephony.OutcomeBusy, telephony.OutcomeVoicemail, telephony.OutcomeFailed}

// queueFollowUps records, in the transaction that closes calls, the
// follow-up messages they call for (their campaigns' follow-ups, and the
// templates their scripts asked for in scripted), each with its send
// job: a message exists exactly when its call record does, once per call
// and template.
func (s *Service) queueFollowUps(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, closed []*Call, scripted map[uuid.UUID][]string) error {
	policies := map[uuid.UUID][]FollowUp{}
	var ask []uuid.UUID
	for _, c := range closed {
		if f, ok := s.followUps.Load(c.CampaignID); ok {
			policies[c.CampaignID] = f.([]FollowUp)
		} else if !slices.Contains(ask, c.CampaignID) {
			ask = append(ask, c.CampaignID)
		}
	}
	if len(ask) > 0 {
		// A campaign's follow-ups never change once it exists: each is
		// read once per process.
		rows, err := tx.Query(ctx, `SELECT id, follow_ups FROM campaigns WHERE tenant_id = $1 AND id = ANY($2)`, tenantID, ask)
		if err != nil {
			return err
		}
		var id uuid.UUID
		var f []FollowUp
		if _, err := pgx.ForEachRow(rows, []any{&id, &f}, func() error {
			own := slices.Clone(f)
			policies[id] = own
			s.followUps.Store(id, own)
			return nil
		}); err != nil {
			return err
		}
	}
	type want struct {
		call *Call
		f    FollowUp
	}
	var wants []want
	var lastTry []uuid.UUID // calls whose contact may have no attempt left
	for _, c := range closed {
		for _, tmpl := range scripted[c.ID] {
			wants = append(wants, want{c, FollowUp{Channel: ChannelSMS, Template: tmpl, When: "script"}})
		}
		for _, f := range policies[c.CampaignID] {
			switch {
			case f.When == FollowUpAnswered && c.AnsweredAt != nil && c.Outcome != telephony.OutcomeVoicemail:
				wants = append(wants, want{c, f})
			case f.When == FollowUpUnanswered && slices.Contains(unanswered, c.Outcome):
				wants = append(wants, want{c, f})
				lastTry = append(lastTry, c.ID)
			}
		}
	}
	if len(wants) == 0 {
		return nil
	}
	// An unanswered call asks for its follow-up only when its contact is
	// done: the retry policy has no attempt left.
	done := map[uuid.UUID]bool{}
	type facts struct {
		zone, name string
		attrs      map[string]any
	}
	info := map[uuid.UUID]facts{}
	ids := make([]uuid.UUID, 0, len(wants))
	for _, w := range wants {
		ids = append(ids, w.call.ID)
	}
	rows, err := tx.Query(ctx, `SELECT c.id, cc.state = 'done', cc.time_zone, coalesce(ct.name, ''), coalesce(ct.attributes, '{}')
		FROM calls c
		JOIN campaign_contacts cc ON cc.campaign_id = c.campaign_id AND cc.contact_id = c.contact_id
		LEFT JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.tenant_id = $1 AND c.id = ANY($2)`, tenantID, ids)
	if err != nil {
		return err
	}
	var id uuid.UUID
	var isDone bool
	var f facts
	if _, err := pgx.ForEachRow(rows, []any{&id, &isDone, &f.zone, &f.name, &f.attrs}, func() error {
		done[id] = isDone
		info[id] = f
		f = facts{}
		return nil
	}); err != nil {
		return err
	}
	var jobs []river.InsertManyParams
	for _, w := range wants {
		c := w.call
		if slices.Contains(lastTry, c.ID) && !done[c.ID] {
			continue
		}
		in, ok := info[c.ID]
		if !ok {
			continue // the contact is gone
		}
		params := map[string]string{"name": in.name}
		for k, v := range in.attrs {
			params[k] = fmt.Sprint(v)
		}
		var vars map[string]any
		if len(c.Vars) > 0 && json.Unmarshal(c.Vars, &vars) == nil {
			for k, v := range vars {
				params[k] = fmt.Sprint(v)
			}
		}
		msgID := uuid.Must(uuid.NewV7())
		tag, err := tx.Exec(ctx, `INSERT INTO messages (id, tenant_id, campaign_id, contact_id, call_id, phone, time_zone, channel, template, params, send_after)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (call_id, template) DO NOTHING`,
			msgID, tenantID, c.CampaignID, c.ContactID, c.ID, c.Phone, in.zone, w.f.Channel, w.f.Template, params, s.now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			jobs = append(jobs, river.InsertManyParams{Args: SendMessageArgs{TenantID: tenantID, MessageID: msgID}})
		}
	}
	if len(jobs) > 0 {
		if _, err := s.jobs.InsertManyTx(ctx, tx, jobs); err != nil {
			return err
		}
	}
	return nil
}

// Message is one follow-up message and where it stands.
type Message struct {
	ID          uuid.UUID
	CampaignID  *uuid.UUID
	ContactID   *uuid.UUID
	CallID      *uuid.UUID
	Phone       string
	Channel     string
	Template    string
	State       string // queued, refused, sending, sent, delivered, failed
	Reason      string
	Provider    string
	ProviderID  string
	Fee         int
	ReceiptCode string
	SendAfter   time.Time
	CreatedAt   time.Time
	SentAt      *time.Time
	DoneAt      *time.Time
}

// Message states.
const (
	MessageQueued    = "queued"
	MessageRefused   = "refused"
	MessageSending   = "sending"
	MessageSent      = "sent"
	MessageDelivered = "delivered"
	MessageFailed    = "failed"
)

const messageColumns = `id, campaign_id, contact_id, call_id, phone, channel, template, state, reason, provider, provider_id, fee,
	receipt_code, send_after, created_at, sent_at, done_at`

func scanMessage(row pgx.Row) (*Message, error) {
	var m Message
	err := row.Scan(&m.ID, &m.CampaignID, &m.ContactID, &m.CallID, &m.Phone, &m.Channel, &m.Template, &m.State, &m.Reason, &m.Provider,
		&m.ProviderID, &m.Fee, &m.ReceiptCode, &m.SendAfter, &m.CreatedAt, &m.SentAt, &m.DoneAt)
	return &m, err
}

// MessageHook runs in the transaction that records that the provider took
// message m.
type MessageHook func(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, m *Message) error

// SMSProviders gives a tenant's SMS provider and settings
// (*telephony.SMSStore is one).
type SMSProviders interface {
	Provider(ctx context.Context, tenantID uuid.UUID) (telephony.SMSProvider, *telephony.SMSSettings, error)
}

// sendTimeout bounds one request to the provider.
const sendTimeout = 15 * time.Second

// SendMessage sends one queued follow-up through the tenant's SMS
// provider, within compliance, and records what came of it. It returns
// when to try again (zero when the message needs nothing more from this
// job): the end of the recipient's quiet hours, the next day under the
// cap, or a minute after the provider asked to be tried again.
//
// A message is sent at most once: it is marked sending, with the time,
// before the provider is asked, and a message found sending (its worker
// died while it waited for the provider) is marked failed rather than
// sent again.
func (s *Service) SendMessage(ctx context.Context, tenantID, messageID uuid.UUID, sms SMSProviders) (time.Time, error) {
	provider, settings, perr := sms.Provider(ctx, tenantID)
	if perr != nil && settings == nil {
		return time.Time{}, perr
	}
	now := s.now()
	var (
		m       *Message
		params  map[string]string
		tmpl    telephony.SMSTemplate
		retryAt time.Time
		proceed bool
	)
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var (
			zone         string
			settingsRaw  []byte
			override     []byte
			suspended    bool
			dnc, consent bool
			campaignID   *uuid.UUID
		)
		var err error
		m, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, messageID))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		campaignID = m.CampaignID
		err = tx.QueryRow(ctx, `SELECT m.params, m.time_zone, t.suspended_at IS NOT NULL, coalesce(cs.settings, '{}'), coalesce(cp.compliance, '{}'),
				EXISTS (SELECT 1 FROM dnc_numbers d WHERE d.tenant_id = $1 AND d.phone = m.phone),
				EXISTS (SELECT 1 FROM consents k WHERE k.tenant_id = $1 AND k.phone = m.phone AND k.withdrawn_at IS NULL)
			FROM messages m JOIN tenants t ON t.id = m.tenant_id
			LEFT JOIN compliance_settings cs ON cs.tenant_id = m.tenant_id
			LEFT JOIN campaigns cp ON cp.id = $3
			WHERE m.tenant_id = $1 AND m.id = $2`, tenantID, messageID, campaignID).
			Scan(&params, &zone, &suspended, &settingsRaw, &override, &dnc, &consent)
		if err != nil {
			return err
		}
		finish := func(state, reason string) error {
			m.State, m.Reason = state, reason
			_, err := tx.Exec(ctx, `UPDATE messages SET state = $3, reason = $4, done_at = $5, audit_seq = nextval('audit_seq') WHERE tenant_id = $1 AND id = $2`,
				tenantID, messageID, state, reason, now)
			if err == nil {
				_, err = s.events.EmitMany(ctx, tx, tenantID, []webhooks.Emission{messageEvent(m)})
			}
			return err
		}
		switch m.State {
		case MessageQueued:
		case MessageSending:
			return finish(MessageFailed, "the worker sending it stopped before the provider answered: not sent again, so that it is never sent twice")
		default:
			return nil // done, or sent and waiting for its receipt
		}
		if now.Before(m.SendAfter) {
			retryAt = m.SendAfter
			return nil
		}
		// The message's own checks: the tenant's provider and template.
		if perr != nil {
			return finish(MessageFailed, perr.Error())
		}
		var ok bool
		if tmpl, ok = settings.Templates[m.Template]; !ok {
			return finish(MessageFailed, fmt.Sprintf("the tenant's SMS settings have no template named %q", m.Template))
		}
		for _, p := range tmpl.Params {
			if params[p] == "" {
				return finish(MessageFailed, fmt.Sprintf("template %q needs the variable %q, which neither the contact nor the call has", m.Template, p))
			}
		}
		// The same compliance as a call, with the messages' own cap. The
		// number is locked (as a dial locks it) so two messages to it
		// cannot both pass the cap.
		if _, err := tx.Exec(ctx, `INSERT INTO dial_numbers (tenant_id, phone) VALUES ($1, $2)
			ON CONFLICT (tenant_id, phone) DO UPDATE SET phone = EXCLUDED.phone`, tenantID, m.Phone); err != nil {
			return err
		}
		loc := location(zone)
		local := now.In(loc)
		dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		var today int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM messages WHERE tenant_id = $1 AND phone = $2 AND id <> $3
				AND sent_at >= $4 AND sent_at < $5 AND provider_id <> '' OR tenant_id = $1 AND phone = $2 AND id <> $3 AND state = 'sending'`,
			tenantID, m.Phone, messageID, dayStart, startOfNextDay(dayStart)).Scan(&today); err != nil {
			return err
		}
		rules := effectiveCompliance(settingsRaw, override)
		rules.MaxDailyCalls, rules.MinRetryInterval = rules.MaxDailyMessages, 0
		if r := CheckDial(rules, DialFacts{Now: now, Location: loc, DNC: dnc, Consent: consent, Suspended: suspended,
			CountDay: dayStart, DayCount: today, Blocked: phone.Blocked(m.Phone)}); r != nil {
			if r.RetryAt.IsZero() {
				return finish(MessageRefused, r.Reason)
			}
			retryAt = r.RetryAt
			_, err := tx.Exec(ctx, `UPDATE messages SET send_after = $3, reason = $4 WHERE tenant_id = $1 AND id = $2`, tenantID, messageID, r.RetryAt, r.Reason)
			return err
		}
		proceed = true
		m.State, m.SentAt = MessageSending, &now
		_, err = tx.Exec(ctx, `UPDATE messages SET state = 'sending', reason = '', provider = $3, sent_at = $4, audit_seq = nextval('audit_seq')
			WHERE tenant_id = $1 AND id = $2`,
			tenantID, messageID, settings.Provider, now)
		return err
	})
	if err != nil || m == nil {
		return time.Time{}, err
	}
	if !proceed {
		return retryAt, nil
	}

	msg := telephony.SMSMessage{To: m.Phone, SignName: settings.SignName, Template: tmpl.ID, Params: map[string]string{}, ParamOrder: tmpl.Params, OutID: m.ID.String()}
	for _, p := range tmpl.Params {
		msg.Params[p] = params[p]
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	sent, sendErr := provider.Send(sctx, msg)
	cancel()

	// What the provider said is recorded even when the job's own time is
	// up: the message is sending until then.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer rcancel()
	now = s.now()
	err = s.db.InTenant(rctx, tenantID, func(tx pgx.Tx) error {
		switch {
		case sendErr == nil:
			m.State, m.ProviderID, m.Fee = MessageSent, sent.ProviderID, sent.Fee
			if _, err := tx.Exec(rctx, `UPDATE messages SET state = 'sent', provider_id = $3, fee = $4 WHERE tenant_id = $1 AND id = $2`,
				tenantID, messageID, sent.ProviderID, sent.Fee); err != nil {
				return err
			}
			_, err := s.jobs.InsertManyTx(rctx, tx, []river.InsertManyParams{{Args: MessageReceiptArgs{TenantID: tenantID, MessageID: messageID},
				InsertOpts: &river.InsertOpts{ScheduledAt: now.Add(s.opts.ReceiptFirstLook)}}})
			if err != nil {
				return err
			}
			for _, hook := range s.opts.OnMessageSent {
				if err := hook(rctx, tx, tenantID, m); err != nil {
					return err
				}
			}
		case telephony.SMSRetryable(sendErr):
			retryAt = now.Add(time.Minute)
			_, err := tx.Exec(rctx, `UPDATE messages SET state = 'queued', sent_at = NULL, send_after = $3, reason = $4 WHERE tenant_id = $1 AND id = $2`,
				tenantID, messageID, retryAt, "the provider will be asked again: "+sendErr.Error())
			return err
		default:
			m.State, m.Reason = MessageFailed, sendErr.Error()
			if _, err := tx.Exec(rctx, `UPDATE messages SET state = 'failed', reason = $3, done_at = $4 WHERE tenant_id = $1 AND id = $2`,
				tenantID, messageID, m.Reason, now); err != nil {
				return err
			}
		}
		if m.State == MessageSent || m.State == MessageFailed {
			_, err := s.events.EmitMany(rctx, tx, tenantID, []webhooks.Emission{messageEvent(m)})
			return err
		}
		return nil
	})
	return retryAt, err
}

// receiptGiveUp is how long a sent message may go without a receipt
// before nobody asks for one again.
const receiptGiveUp = 72 * time.Hour

// CheckReceipt asks the provider for a sent message's receipt and records
// it. It returns when to ask again (zero: the message is delivered,
// failed, or too old to wait for).
func (s *Service) CheckReceipt(ctx context.Context, tenantID, messageID uuid.UUID, sms SMSProviders) (time.Time, error) {
	var m *Message
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		m, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages WHERE tenant_id = $1 AND id = $2`, tenantID, messageID))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil || m.State != MessageSent || m.SentAt == nil {
		return time.Time{}, err
	}
	now := s.now()
	age := now.Sub(*m.SentAt)
	if age > receiptGiveUp {
		return time.Time{}, nil // it stays sent: the carrier never said
	}
	provider, _, err := sms.Provider(ctx, tenantID)
	if err != nil {
		return time.Time{}, err
	}
	r, err := provider.Receipt(ctx, m.Phone, *m.SentAt, m.ProviderID)
	if err != nil {
		return time.Time{}, err
	}
	if r.Status == telephony.SMSPending {
		// Ask again sooner while the message is young.
		return now.Add(min(max(age/2, s.opts.ReceiptFirstLook), 30*time.Minute)), nil
	}
	at := r.At
	if at.IsZero() {
		at = now
	}
	state, reason := MessageDelivered, ""
	if r.Status == telephony.SMSFailed {
		state, reason = MessageFailed, "the carrier reported it undelivered: "+r.Code
	}
	return time.Time{}, s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE messages SET state = $3, reason = $4, receipt_code = $5, done_at = $6 WHERE tenant_id = $1 AND id = $2 AND state = 'sent'`,
			tenantID, messageID, state, reason, r.Code, at)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		m.State, m.Reason, m.ReceiptCode, m.DoneAt = state, reason, r.Code, &at
		_, err = s.events.EmitMany(ctx, tx, tenantID, []webhooks.Emission{messageEvent(m)})
		return err
	})
}

// messageEvent is the webhook event of a message's new state.
func messageEvent(m *Message) webhooks.Emission {
	typ := map[string]string{MessageSent: webhooks.MessageSent, MessageDelivered: webhooks.MessageDelivered}[m.State]
	if typ == "" {
		typ = webhooks.MessageFailed
	}
	return webhooks.Emission{Type: typ, Data: map[string]any{
		"message_id": m.ID, "campaign_id": m.CampaignID, "contact_id": m.ContactID, "call_id": m.CallID, "channel": m.Channel,
		"template": m.Template, "state": m.State, "reason": m.Reason, "provider": m.Provider, "provider_id": m.ProviderID,
		"receipt_code": m.ReceiptCode,
	}}
}

// MessageFilter narrows ListMessages; zero fields match all.
type MessageFilter struct {
	CampaignID *uuid.UUID
	State      string
}

// ListMessages returns the tenant's follow-up messages, oldest first, a
// page of limit after the message after.
func (s *Service) ListMessages(ctx context.Context, p tenants.Principal, f MessageFilter, limit int, after *uuid.UUID) ([]Message, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	var out []Message
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+messageColumns+` FROM messages WHERE tenant_id = $1 AND `+tenants.PageAfter("messages")+`
			AND ($4::uuid IS NULL OR campaign_id = $4) AND ($5 = '' OR state = $5) ORDER BY created_at, id LIMIT $3`,
			p.TenantID, after, limit, f.CampaignID, f.State)
		if err != nil {
			return err
		}
		out, err = tenants.CollectAll(rows, scanMessage)
		return err
	})
	return out, err
}

// GetMessage returns one follow-up message.
func (s *Service) GetMessage(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Message, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	var m *Message
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		m, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages WHERE tenant_id = $1 AND id = $2`, p.TenantID, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("message")
		}
		return err
	})
	return m, err
}
