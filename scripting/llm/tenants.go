package llm

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/scripting"
)

// Settings is a tenant's model, as its settings say.
type Settings struct {
	// On is false when the tenant uses no model of its own.
	On bool
	// Platform is set when the tenant uses the platform's model
	// (Tenants.Platform), if the operator set one.
	Platform bool
	Config
	// Updated changes whenever the settings do.
	Updated time.Time
}

// Tenants builds each tenant's client from its settings and keeps it
// until they change. It is safe for concurrent use.
type Tenants struct {
	// Load reads a tenant's settings (its key opened).
	Load func(ctx context.Context, tenantID uuid.UUID) (Settings, error)
	// HTTP sends every tenant's requests: guard it against internal
	// addresses in production. Nil: http.DefaultClient.
	HTTP *http.Client
	// Platform is the model the operator set for every tenant that has
	// not chosen its own or none (nil: no such model). Its requests go
	// without HTTP's guard: the operator chose where it is.
	Platform *Config

	platformOnce   sync.Once
	platformClient *Client

	mu   sync.Mutex
	byID map[uuid.UUID]tenantClient
}

type tenantClient struct {
	updated time.Time
	client  *Client
}

// For returns the tenant's model, or nil when it has none.
func (t *Tenants) For(ctx context.Context, tenantID uuid.UUID) (scripting.Model, error) {
	if t == nil || t.Load == nil {
		return nil, nil
	}
	s, err := t.Load(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return t.Client(tenantID, s), nil
}

// Client returns the tenant's model for settings s already read (nil when
// s is off), built once per change of the settings.
func (t *Tenants) Client(tenantID uuid.UUID, s Settings) scripting.Model {
	if t == nil {
		return nil
	}
	if s.Platform && !s.On {
		if t.Platform == nil {
			return nil
		}
		t.platformOnce.Do(func() { t.platformClient = New(*t.Platform) })
		return t.platformClient
	}
	if !s.On {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.byID[tenantID]; ok && c.updated.Equal(s.Updated) {
		return c.client
	}
	if t.byID == nil {
		t.byID = map[uuid.UUID]tenantClient{}
	}
	s.Config.HTTP = t.HTTP
	c := New(s.Config)
	t.byID[tenantID] = tenantClient{updated: s.Updated, client: c}
	return c
}
