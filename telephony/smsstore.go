package telephony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// SMSTemplate is one of a tenant's approved templates, by the name its
// campaigns use: the provider's template id and the template's variables
// in the template's own order (Tencent numbers them {1}, {2}…).
type SMSTemplate struct {
	ID     string   `json:"id"`
	Params []string `json:"params"`
}

// SMSSettings is a tenant's SMS provider, as people see it: the secret is
// never shown, only whether one is stored.
type SMSSettings struct {
	Provider    string // off | aliyun | tencent
	Endpoint    string // "" for the provider's public endpoint
	Region      string
	AccessKeyID string
	HasSecret   bool
	// AppID is Tencent's SmsSdkAppId; unused by Alibaba.
	AppID     string
	SignName  string
	Templates map[string]SMSTemplate
	UpdatedAt time.Time
}

// SMSInput replaces a tenant's SMS settings. A nil secret keeps the stored
// one; an empty one removes it.
type SMSInput struct {
	Provider, Endpoint, Region, AccessKeyID, AppID, SignName string
	Secret                                                   *string
	Templates                                                map[string]SMSTemplate
}

// SMSStore keeps tenants' SMS settings, secrets sealed like trunk
// passwords.
type SMSStore struct {
	Trunks *TrunkStore
	// Client, when set, is the HTTP client providers are built with; nil:
	// each provider's default.
	Client *http.Client
	// Now is the providers' clock (their requests' timestamps); nil means
	// time.Now.
	Now func() time.Time
}

var templateName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// placeholder is a {variable} in a Twilio template's text.
var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_.-]+)\}`)

func validateSMS(in SMSInput) error {
	switch in.Provider {
	case SMSOff:
		return nil
	case SMSAliyun, SMSTencent, SMSTwilio:
	default:
		return tenants.FieldError("body.provider", "provider %q: want off, aliyun, tencent or twilio", in.Provider)
	}
	if in.Endpoint != "" {
		u, err := url.Parse(in.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return tenants.FieldError("body.endpoint", "must be an http(s) URL without credentials, or empty for the provider's own")
		}
	}
	if strings.TrimSpace(in.AccessKeyID) == "" {
		return tenants.FieldError("body.access_key_id", "the provider's access key id (Alibaba AccessKey ID, Tencent SecretId, Twilio Account SID) is needed")
	}
	if in.Provider == SMSTencent && strings.TrimSpace(in.AppID) == "" {
		return tenants.FieldError("body.app_id", "Tencent Cloud SMS needs the SMS application's SdkAppId")
	}
	if strings.TrimSpace(in.SignName) == "" {
		if in.Provider == SMSTwilio {
			return tenants.FieldError("body.sign_name", "Twilio needs the sender: one of the account's numbers (+14155550100) or a Messaging Service SID (MG…)")
		}
		return tenants.FieldError("body.sign_name", "name the approved signature (签名) messages go out under")
	}
	if len(in.Templates) == 0 {
		return tenants.FieldError("body.templates", "give at least one approved template, such as {\"payment_link\": {\"id\": \"SMS_123\", \"params\": [\"name\", \"link\"]}}")
	}
	for name, t := range in.Templates {
		if !templateName.MatchString(name) {
			return tenants.FieldError("body.templates", "template name %q: use lower-case letters, digits and _, starting with a letter", name)
		}
		if strings.TrimSpace(t.ID) == "" {
			if in.Provider == SMSTwilio {
				return tenants.FieldError("body.templates."+name+".id", "Twilio sends the template's own text: give it, with {variable} placeholders")
			}
			return tenants.FieldError("body.templates."+name+".id", "the provider's id of the approved template is needed")
		}
		if in.Provider != SMSTwilio && utf8.RuneCountInString(t.ID) > 100 {
			// The same words as the API's own length checks, which the
			// portal translates; only Twilio takes a template's text.
			return tenants.FieldError("body.templates."+name+".id", "expected length <= 100")
		}
		if in.Provider == SMSTwilio {
			if n := utf8.RuneCountInString(t.ID); n > 1600 {
				return tenants.FieldError("body.templates."+name+".id", "the text is %d characters; Twilio sends at most 1600", n)
			}
			for _, m := range placeholder.FindAllStringSubmatch(t.ID, -1) {
				if !slices.Contains(t.Params, m[1]) {
					return tenants.FieldError("body.templates."+name+".params", "the text's placeholder {%s} is not one of the template's params", m[1])
				}
			}
		}
		for _, p := range t.Params {
			if !templateName.MatchString(p) {
				return tenants.FieldError("body.templates."+name+".params", "variable %q: use lower-case letters, digits and _, starting with a letter", p)
			}
		}
	}
	return nil
}

// Get returns the tenant's settings (provider off when it never set any).
func (s *SMSStore) Get(ctx context.Context, p tenants.Principal) (*SMSSettings, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	st, _, err := s.load(ctx, p.TenantID, false)
	return st, err
}

// Set replaces the tenant's settings. Needs the admin role.
func (s *SMSStore) Set(ctx context.Context, p tenants.Principal, in SMSInput) (*SMSSettings, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	if in.Provider == "" {
		in.Provider = SMSOff
	}
	if err := validateSMS(in); err != nil {
		return nil, err
	}
	if in.Templates == nil {
		in.Templates = map[string]SMSTemplate{}
	}
	templates, _ := json.Marshal(in.Templates)
	var sealed []byte
	if in.Secret != nil {
		sealed = s.Trunks.seal(*in.Secret, p.TenantID)
	}
	err := s.Trunks.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sms_settings (tenant_id, provider, endpoint, region, access_key_id, secret_enc, app_id, sign_name, templates)
			VALUES ($1, $2, $3, $4, $5, $7, $8, $9, $10)
			ON CONFLICT (tenant_id) DO UPDATE SET provider = $2, endpoint = $3, region = $4, access_key_id = $5,
				secret_enc = CASE WHEN $6 THEN $7 ELSE sms_settings.secret_enc END,
				app_id = $8, sign_name = $9, templates = $10, updated_at = now()`,
			p.TenantID, in.Provider, in.Endpoint, in.Region, in.AccessKeyID, in.Secret != nil, sealed, in.AppID, in.SignName, templates)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p)
}

// ErrNoSMSProvider is what Provider returns for a tenant that has not set
// one up.
var ErrNoSMSProvider = errors.New("the tenant has no SMS provider set up (PUT /v1/sms/settings)")

// Provider returns the tenant's SMS provider, built with its opened
// secret, and its settings.
func (s *SMSStore) Provider(ctx context.Context, tenantID uuid.UUID) (SMSProvider, *SMSSettings, error) {
	st, secret, err := s.load(ctx, tenantID, true)
	if err != nil {
		return nil, nil, err
	}
	switch st.Provider {
	case SMSAliyun:
		return &AliyunSMS{Endpoint: st.Endpoint, RegionID: st.Region, AccessKeyID: st.AccessKeyID, AccessKeySecret: secret, Client: s.Client, Now: s.Now}, st, nil
	case SMSTwilio:
		return &TwilioSMS{Endpoint: st.Endpoint, AccountSID: st.AccessKeyID, AuthToken: secret, Client: s.Client, Now: s.Now}, st, nil
	case SMSTencent:
		return &TencentSMS{Endpoint: st.Endpoint, Region: st.Region, SecretID: st.AccessKeyID, SecretKey: secret, SdkAppID: st.AppID, Client: s.Client, Now: s.Now}, st, nil
	}
	return nil, st, ErrNoSMSProvider
}

func (s *SMSStore) load(ctx context.Context, tenantID uuid.UUID, open bool) (*SMSSettings, string, error) {
	st := &SMSSettings{Provider: SMSOff, Templates: map[string]SMSTemplate{}}
	var sealed []byte
	err := s.Trunks.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT provider, endpoint, region, access_key_id, secret_enc, app_id, sign_name, templates, updated_at
			FROM sms_settings WHERE tenant_id = $1`, tenantID).
			Scan(&st.Provider, &st.Endpoint, &st.Region, &st.AccessKeyID, &sealed, &st.AppID, &st.SignName, &st.Templates, &st.UpdatedAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return st, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	st.HasSecret = len(sealed) > 0
	if !open {
		return st, "", nil
	}
	secret, err := s.Trunks.open(sealed, tenantID)
	if err != nil {
		return nil, "", fmt.Errorf("the SMS provider's secret: %w", err)
	}
	return st, secret, nil
}
