package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// SMSTemplateBody is one approved template, by the name campaigns use.
type SMSTemplateBody struct {
	ID     string   `json:"id" maxLength:"1600" example:"SMS_276435098" doc:"The provider's id of the approved template (Alibaba TemplateCode, Tencent TemplateId); for Twilio, the text itself with {variable} placeholders."`
	Params []string `json:"params" required:"false" maxItems:"20" example:"[\"name\",\"link\"]" doc:"The template's variables, in the template's order (Tencent numbers them {1}, {2}…). Each is filled from the call's captured vars, then the contact's attributes, then name (the contact's name)."`
}

// SMSBody is a tenant's SMS provider; the secret is never shown.
type SMSBody struct {
	Provider    string                     `json:"provider" enum:"off,aliyun,tencent,twilio" doc:"Who sends follow-up messages: off, aliyun (Alibaba Cloud SMS), tencent (Tencent Cloud SMS) or twilio (Twilio, for numbers abroad)."`
	Endpoint    string                     `json:"endpoint" doc:"The provider's endpoint; empty for its public one (dysmsapi.aliyuncs.com, sms.tencentcloudapi.com)."`
	Region      string                     `json:"region" example:"cn-hangzhou"`
	AccessKeyID string                     `json:"access_key_id" doc:"Alibaba AccessKey ID, Tencent SecretId or Twilio Account SID."`
	HasSecret   bool                       `json:"has_secret" doc:"Whether the secret is stored (encrypted; never shown)."`
	AppID       string                     `json:"app_id" doc:"Tencent's SmsSdkAppId; unused by Alibaba."`
	SignName    string                     `json:"sign_name" example:"外呼科技" doc:"The approved signature (签名) messages go out under; for Twilio, the sender: one of the account's numbers or a Messaging Service SID (MG…)."`
	Templates   map[string]SMSTemplateBody `json:"templates" doc:"The approved templates by the names campaigns' follow_ups use."`
	UpdatedAt   time.Time                  `json:"updated_at,omitzero"`
}

func smsBody(s *telephony.SMSSettings) SMSBody {
	b := SMSBody{Provider: s.Provider, Endpoint: s.Endpoint, Region: s.Region, AccessKeyID: s.AccessKeyID, HasSecret: s.HasSecret,
		AppID: s.AppID, SignName: s.SignName, Templates: map[string]SMSTemplateBody{}, UpdatedAt: s.UpdatedAt}
	for name, t := range s.Templates {
		b.Templates[name] = SMSTemplateBody{ID: t.ID, Params: orEmpty(t.Params)}
	}
	return b
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type smsFields struct {
	Provider    string                     `json:"provider,omitempty" enum:"off,aliyun,tencent,twilio" doc:"Omitted: off."`
	Endpoint    string                     `json:"endpoint,omitempty" maxLength:"500"`
	Region      string                     `json:"region,omitempty" maxLength:"50"`
	AccessKeyID string                     `json:"access_key_id,omitempty" maxLength:"200"`
	Secret      *string                    `json:"secret,omitempty" maxLength:"500" doc:"Alibaba AccessKey Secret, Tencent SecretKey or Twilio Auth Token. Stored encrypted; omitted keeps the stored one, empty removes it."`
	AppID       string                     `json:"app_id,omitempty" maxLength:"100"`
	SignName    string                     `json:"sign_name,omitempty" maxLength:"100"`
	Templates   map[string]SMSTemplateBody `json:"templates,omitempty"`
}

type setSMSInput struct{ Body smsFields }

// MessageBody is one follow-up message and where it stands.
type MessageBody struct {
	ID          uuid.UUID  `json:"id"`
	CampaignID  *uuid.UUID `json:"campaign_id"`
	ContactID   *uuid.UUID `json:"contact_id"`
	CallID      *uuid.UUID `json:"call_id" doc:"The call whose end asked for the message."`
	Phone       string     `json:"phone" doc:"Masked (138****1234) unless the caller may see numbers in full."`
	Channel     string     `json:"channel" enum:"sms"`
	Template    string     `json:"template"`
	State       string     `json:"state" enum:"queued,refused,sending,sent,delivered,failed" doc:"queued (waiting to be sent: send_after says until when, reason why), refused (compliance said no for good), sending, sent (the provider took it), delivered (the carrier reported it on the handset) or failed."`
	Reason      string     `json:"reason" doc:"Why it waits, was refused or failed: quiet_hours, daily_cap, dnc, no_consent, or the provider's or carrier's own words."`
	Provider    string     `json:"provider"`
	ProviderID  string     `json:"provider_id" doc:"The provider's id for the message (Alibaba BizId, Tencent SerialNo)."`
	Fee         int        `json:"fee" doc:"Billable messages, as the provider counted them."`
	ReceiptCode string     `json:"receipt_code" doc:"The carrier's delivery code (DELIVERED, DELIVRD, MK:0001…)."`
	SendAfter   time.Time  `json:"send_after"`
	CreatedAt   time.Time  `json:"created_at"`
	SentAt      *time.Time `json:"sent_at"`
	DoneAt      *time.Time `json:"done_at"`
}

func messageBody(ctx context.Context, m *campaigns.Message) MessageBody {
	return MessageBody{ID: m.ID, CampaignID: m.CampaignID, ContactID: m.ContactID, CallID: m.CallID, Phone: showPhone(ctx, m.Phone), Channel: m.Channel,
		Template: m.Template, State: m.State, Reason: m.Reason, Provider: m.Provider, ProviderID: m.ProviderID, Fee: m.Fee, ReceiptCode: m.ReceiptCode,
		SendAfter: m.SendAfter, CreatedAt: m.CreatedAt, SentAt: m.SentAt, DoneAt: m.DoneAt}
}

type messagesInput struct {
	PageInput
	CampaignID string `query:"campaign_id" format:"uuid" doc:"Only this campaign's messages."`
	State      string `query:"state" enum:"queued,refused,sending,sent,delivered,failed" doc:"Only messages in this state."`
}

type messagesOutput struct {
	Body struct {
		Items      []MessageBody `json:"items"`
		NextCursor string        `json:"next_cursor"`
	}
}

type messagePath struct {
	MessageID uuid.UUID `path:"message_id" doc:"The message's id."`
}

// registerMessages adds the tenant's SMS provider and its follow-up
// messages.
func (s *Server) registerMessages() {
	manage := requires("settings:manage")
	s.register("Messages", []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusServiceUnavailable}, []operation{
		{id: "get-sms-settings", route: "GET /v1/sms/settings", summary: "Get the SMS provider", security: manage,
			desc: "Which provider sends the tenant's follow-up messages, under which signature, with which approved templates.", handler: handle(s.getSMS)},
		{id: "set-sms-settings", route: "PUT /v1/sms/settings", summary: "Set up the SMS provider", security: manage, errs: []int{http.StatusUnprocessableEntity},
			desc: "Replaces the tenant's SMS settings: Alibaba Cloud SMS or Tencent Cloud SMS, its access key, the approved signature and templates. " +
				"The secret is stored encrypted and never returned. Needs the admin role.", handler: handle(s.setSMS)},
	})
	read := requires("calls:read")
	s.register("Messages", authErrors, []operation{
		{id: "list-messages", route: "GET /v1/messages", summary: "List the follow-up messages", security: read, errs: []int{http.StatusUnprocessableEntity},
			desc: "The SMS follow-ups campaigns sent or will send (a campaign's follow_ups say when), oldest first, each with where it stands: " +
				"waiting for the recipient's quiet hours or the daily cap to pass, refused by compliance, sent, or the carrier's receipt.", handler: handle(s.listMessages)},
		{id: "get-message", route: "GET /v1/messages/{message_id}", summary: "Get a follow-up message", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getMessage)},
	})
}

// smsStore returns the SMS settings' store, or the 503 that says why they
// are off.
func (s *Server) smsStore() (*telephony.SMSStore, error) {
	if s.cfg.Trunks == nil {
		return nil, tenants.Errorf(tenants.EUnavailable, "SMS settings are off: the service has no secret key to encrypt the provider's secret (set OUTCALL_SECRET_KEY)")
	}
	return &telephony.SMSStore{Trunks: s.cfg.Trunks}, nil
}

func (s *Server) getSMS(ctx context.Context, _ *struct{}) (*output[SMSBody], error) {
	st, err := s.smsStore()
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	got, err := st.Get(ctx, principal(ctx))
	return reply(s, ctx, smsBody, got, err)
}

func (s *Server) setSMS(ctx context.Context, in *setSMSInput) (*output[SMSBody], error) {
	st, err := s.smsStore()
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	b := in.Body
	templates := map[string]telephony.SMSTemplate{}
	for name, t := range b.Templates {
		templates[name] = telephony.SMSTemplate{ID: t.ID, Params: t.Params}
	}
	got, err := st.Set(ctx, principal(ctx), telephony.SMSInput{Provider: b.Provider, Endpoint: b.Endpoint, Region: b.Region, AccessKeyID: b.AccessKeyID,
		Secret: b.Secret, AppID: b.AppID, SignName: b.SignName, Templates: templates})
	return reply(s, ctx, smsBody, got, err)
}

func (s *Server) listMessages(ctx context.Context, in *messagesInput) (*messagesOutput, error) {
	out := &messagesOutput{}
	err := listPage(s, ctx, in.PageInput, func(limit int, after *uuid.UUID) ([]campaigns.Message, error) {
		f := campaigns.MessageFilter{State: in.State}
		if in.CampaignID != "" {
			id, err := uuid.Parse(in.CampaignID)
			if err != nil {
				return nil, campaigns.FieldError("query.campaign_id", "not a campaign id")
			}
			f.CampaignID = &id
		}
		return s.campaigns.ListMessages(ctx, principal(ctx), f, limit, after)
	}, func(m *campaigns.Message) uuid.UUID { return m.ID }, forCaller(ctx, messageBody), &out.Body.Items, &out.Body.NextCursor)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) getMessage(ctx context.Context, in *messagePath) (*output[MessageBody], error) {
	m, err := s.campaigns.GetMessage(ctx, principal(ctx), in.MessageID)
	return reply(s, ctx, forCaller(ctx, messageBody), m, err)
}
