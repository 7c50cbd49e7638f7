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
// not call: loopback, private, link-local (cloud metadata), multicast or
// unspecified.
var ErrForbiddenAddress = errors.New("the address is loopback, private, link-local or otherwise internal")

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func forbidden(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || cgnat.Contains(ip)
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
