package tenants

import (
	"fmt"
	"slices"
	"sort"
)

// Scopes are what an API key may do, on top of what its role allows. An
// operation declares the scope it needs; a key without it gets 403. Portal
// sessions are bounded by the user's role alone.
var Scopes = []string{
	"account:read",      // who am I, users
	"account:manage",    // users and API keys
	"contacts:read",     // lists, contacts, do-not-call
	"contacts:write",    // add, import, edit, do-not-call changes
	"scripts:read",      // dialog scripts and segmentation rules
	"scripts:write",     // edit, publish, simulate
	"campaigns:read",    // campaigns and their progress
	"campaigns:control", // create, start, pause, resume, cancel
	"calls:read",        // call records, turns, recordings
	"calls:review",      // approve or flag calls that hit sensitive words
	"webhooks:manage",   // webhook endpoints and deliveries
	"billing:read",      // usage and plan
	"billing:manage",    // subscribe, change plan
	"settings:manage",   // compliance and tenant settings
	"desk:use",          // the agent desk (people signed in only)
}

// AllScopes is how a key that may do everything records it.
const AllScopes = "*"

// ValidScope reports whether s is one of Scopes.
func ValidScope(s string) bool { return slices.Contains(Scopes, s) }

// HasScope reports whether the principal may act within scope. Sessions
// (no scope list) and keys with AllScopes may act within any.
func (p Principal) HasScope(scope string) bool {
	if p.Scopes == nil || scope == "" {
		return true
	}
	return slices.Contains(p.Scopes, AllScopes) || slices.Contains(p.Scopes, scope)
}

func normaliseScopes(in []string) ([]string, error) {
	if len(in) == 0 {
		return []string{AllScopes}, nil
	}
	out := make([]string, 0, len(in))
	for i, s := range in {
		if s != AllScopes && !ValidScope(s) {
			return nil, FieldError(fmt.Sprintf("body.scopes[%d]", i), "unknown scope %q", s)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if slices.Contains(out, AllScopes) {
		return []string{AllScopes}, nil
	}
	sort.Strings(out)
	return out, nil
}
