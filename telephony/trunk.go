package telephony

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/outcall/outcall/phone"
)

// Trunk is where a tenant's calls go: a SIP carrier or PBX. The campaigns
// side loads it from the database (the password decrypted just for the
// call) and passes it by value in every DialRequest.
type Trunk struct {
	// ID names the trunk in logs and results (the database id).
	ID string
	// Name is what its tenant calls it, for the reasons people read.
	Name string
	// MaxCalls caps the trunk's calls in progress, CallsPerSecond its new
	// calls, as its carrier does (0: no cap); see TrunkStore.Claim.
	MaxCalls       int
	CallsPerSecond float64
	// Host and Port of the carrier's SIP server (Port 0: 5060, 5061 for TLS).
	Host string
	Port int
	// Transport is "udp", "tcp" or "tls" (empty: udp).
	Transport string
	// Username and Password answer digest challenges (401/407); empty
	// Password means no authentication.
	Username string
	Password string
	// FromDomain is the host part of From (empty: Host).
	FromDomain string
	// CallerIDs is the pool of numbers shown to callees (number masking);
	// a call uses DialRequest.CallerID, else one picked from the pool.
	CallerIDs []string
	// TransferTargets maps the names scripts transfer to ("agent") to a
	// number or SIP URI on this trunk.
	TransferTargets map[string]string
}

// TransferTarget resolves a script's transfer target: only a name the
// trunk maps. A script cannot hand a call to a number of its own choosing:
// whoever writes scripts could otherwise bridge live calls to any line
// on the carrier's bill (toll fraud), past every check a dial goes
// through. The trunk's targets are set by the tenant's admins (or, on the
// platform's trunk, by its operators) and checked when they are saved.
func (t Trunk) TransferTarget(name string) (string, error) {
	if v, ok := t.TransferTargets[name]; ok && v != "" {
		return v, nil
	}
	names := slices.Sorted(maps.Keys(t.TransferTargets))
	if len(names) == 0 {
		return "", fmt.Errorf("the script transfers to %q, but the trunk names no transfer targets; add one under the trunk's transfer_targets", name)
	}
	return "", fmt.Errorf("the script transfers to %q, which is not one of the trunk's transfer targets (%s)", name, strings.Join(names, ", "))
}

// Validate checks the trunk can be dialled.
func (t Trunk) Validate() error {
	if strings.TrimSpace(t.Host) == "" {
		return errors.New("trunk host is empty")
	}
	if t.Port < 0 || t.Port > 65535 {
		return fmt.Errorf("trunk port %d is out of range", t.Port)
	}
	switch t.transport() {
	case "udp", "tcp", "tls":
	default:
		return fmt.Errorf("trunk transport %q: want udp, tcp or tls", t.Transport)
	}
	for _, id := range t.CallerIDs {
		if !validNumber(id) {
			return fmt.Errorf("caller ID %q is not a phone number", phone.Mask(id))
		}
	}
	for name, target := range t.TransferTargets {
		if name == "" || len(name) > 64 {
			return fmt.Errorf("transfer target name %q must be 1 to 64 characters", name)
		}
		if !validNumber(target) && !strings.HasPrefix(target, "sip:") && !strings.HasPrefix(target, "sips:") {
			return fmt.Errorf("transfer target %q: %q is neither a phone number nor a sip: URI", name, phone.Mask(target))
		}
		if n := e164In(target); n != "" {
			if why := phone.Blocked(n); why != "" {
				return fmt.Errorf("transfer target %q: %s is refused: %s", name, phone.Mask(n), why)
			}
		}
	}
	return nil
}

func (t Trunk) transport() string {
	if t.Transport == "" {
		return "udp"
	}
	return strings.ToLower(t.Transport)
}

func (t Trunk) port() int {
	if t.Port != 0 {
		return t.Port
	}
	if t.transport() == "tls" {
		return 5061
	}
	return 5060
}

// HostPort is the trunk's address as host:port.
func (t Trunk) HostPort() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.port())) }

func (t Trunk) fromDomain() string {
	if t.FromDomain != "" {
		return t.FromDomain
	}
	return t.Host
}

// PickCallerID returns the requested caller ID or one from the pool.
func (t Trunk) PickCallerID(requested string) string {
	if requested != "" {
		return requested
	}
	if len(t.CallerIDs) == 0 {
		return "anonymous"
	}
	return t.CallerIDs[rand.IntN(len(t.CallerIDs))]
}

// e164In returns the international number a transfer target dials: the
// target itself, or the user part of a sip: URI, when it starts with "+";
// else "" (an extension, or a name the carrier resolves).
func e164In(target string) string {
	user := target
	for _, scheme := range []string{"sip:", "sips:"} {
		if rest, ok := strings.CutPrefix(target, scheme); ok {
			user, _, _ = strings.Cut(rest, "@")
			user, _, _ = strings.Cut(user, ";")
		}
	}
	if strings.HasPrefix(user, "+") {
		return user
	}
	return ""
}

func validNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 2 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '*' && r != '#' {
			return false
		}
	}
	return true
}
