package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrForbiddenAddress says an endpoint resolves to an address outcall will
// not call: loopback, private, link-local (cloud metadata), multicast,
// unspecified, or a special-purpose range that is not a public host.
var ErrForbiddenAddress = errors.New("the address is loopback, private, link-local or otherwise internal")

// specialPurpose lists the ranges of the IANA special-purpose registries that
// netip's predicates (loopback, private, link-local, multicast, unspecified)
// do not cover and that no public webhook receiver lives in. A delivery to
// one of them could reach the platform's own network or a translator or
// relay that forwards it there, or nothing at all. The NAT64 prefixes are
// refused whole, whatever IPv4 address they carry: a deployment on an
// IPv6-only network behind DNS64 would have to narrow that to the carried
// address (see sixToFour).
var specialPurpose = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"; 0.0.0.0 itself reaches the local host
		"100.64.0.0/10",   // shared address space (carrier-grade NAT)
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation (TEST-NET-1)
		"192.88.99.0/24",  // deprecated 6to4 relay anycast
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation (TEST-NET-2)
		"203.0.113.0/24",  // documentation (TEST-NET-3)
		"240.0.0.0/4",     // reserved, and 255.255.255.255 (limited broadcast)
		"::/96",           // IPv4-compatible addresses (deprecated)
		"64:ff9b::/96",    // NAT64 well-known prefix: a translator would carry us to any IPv4 host, internal ones included
		"64:ff9b:1::/48",  // NAT64 local-use prefix
		"100::/64",        // discard-only
		"2001::/23",       // IETF protocol assignments: Teredo, benchmarking, ORCHID
		"2001:db8::/32",   // documentation
		"3fff::/20",       // documentation
		"5f00::/16",       // segment routing (SRv6) SIDs
		"fec0::/10",       // site-local (deprecated, still routed inside some networks)
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// sixToFour is 2002::/16; such an address carries an IPv4 address in its
// bits 16 to 47, where a 6to4 relay would send the packet.
var sixToFour = netip.MustParsePrefix("2002::/16")

// forbidden reports whether ip is an address outcall will not connect a
// webhook to. An IPv4 address carried inside an IPv6 one (IPv4-mapped, or
// 6to4) is judged by the IPv4 rules, so ::ffff:127.0.0.1 and
// 2002:7f00:1:: are refused like 127.0.0.1.
func forbidden(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	// A zone (fe80::1%eth0) would make every prefix test below answer false.
	ip = ip.WithZone("").Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range specialPurpose {
		if p.Contains(ip) {
			return true
		}
	}
	if sixToFour.Contains(ip) {
		b := ip.As16()
		return forbidden(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	return false
}

// CheckURL validates an endpoint URL: http or https, a host, and (unless
// allowPrivate) only public addresses.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if u.User != nil {
		return errors.New("the URL must not carry a user name or password")
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return fmt.Errorf("%s: %w", host, ErrForbiddenAddress)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("cannot resolve %s: %v", host, err)
	}
	for _, a := range addrs {
		if forbidden(a) {
			return fmt.Errorf("%s resolves to %s: %w", host, a, ErrForbiddenAddress)
		}
	}
	return nil
}

// safeDialer refuses connections to internal addresses at connect time, so
// a name that resolves differently later (DNS rebinding) cannot slip by.
func safeDialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			if forbidden(ap.Addr()) {
				return fmt.Errorf("%s: %w", ap.Addr(), ErrForbiddenAddress)
			}
			return nil
		}
	}
	return d
}
