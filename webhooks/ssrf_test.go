package webhooks

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"testing"
)

// addressRanges names, for each range outcall refuses, an address inside it
// and the public address just outside it where there is one, so a range
// drawn too wide fails as surely as one left out.
var addressRanges = []struct {
	name     string
	inside   []string
	outsides []string
}{
	{"loopback", []string{"127.0.0.1", "127.255.255.254", "::1"}, nil},
	{"private (RFC 1918)", []string{"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1"}, []string{"172.32.0.1"}},
	{"unique local fc00::/7, covered by IsPrivate", []string{"fc00::1", "fd12:3456:789a::1"}, []string{"fe00::1"}},
	{"link-local, cloud metadata included", []string{"169.254.169.254", "fe80::1", "fe80::1%eth0"}, nil},
	{"multicast", []string{"224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1"}, nil},
	{"unspecified", []string{"0.0.0.0", "::"}, nil},
	{"this network 0.0.0.0/8", []string{"0.1.2.3", "0.255.255.255"}, []string{"1.0.0.1"}},
	{"shared address space 100.64.0.0/10", []string{"100.64.0.1", "100.127.255.255"}, []string{"100.128.0.1", "100.63.255.255"}},
	{"IETF protocol assignments 192.0.0.0/24", []string{"192.0.0.1", "192.0.0.9", "192.0.0.255"}, []string{"192.0.1.1"}},
	{"documentation 192.0.2.0/24", []string{"192.0.2.1"}, []string{"192.0.3.1"}},
	{"deprecated 6to4 relay anycast 192.88.99.0/24", []string{"192.88.99.1"}, []string{"192.88.98.1"}},
	{"benchmarking 198.18.0.0/15", []string{"198.18.0.1", "198.19.255.255"}, []string{"198.17.255.255", "198.20.0.1"}},
	{"documentation 198.51.100.0/24", []string{"198.51.100.7"}, []string{"198.51.101.7"}},
	{"documentation 203.0.113.0/24", []string{"203.0.113.9"}, []string{"203.0.114.9"}},
	{"reserved 240.0.0.0/4 and limited broadcast", []string{"240.0.0.1", "250.1.2.3", "255.255.255.255"}, []string{"223.255.255.254"}},
	{"IPv4-mapped, judged as IPv4", []string{"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:198.18.0.1"}, []string{"::ffff:8.8.8.8"}},
	{"IPv4-compatible (deprecated)", []string{"::7f00:1", "::808:808"}, nil},
	{"NAT64 64:ff9b::/96", []string{"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::808:808", "64:ff9b::7f00:1%eth0"}, []string{"64:ff9c::1"}},
	{"NAT64 local use 64:ff9b:1::/48", []string{"64:ff9b:1::a00:1", "64:ff9b:1:ffff::1"}, []string{"64:ff9b:2::1"}},
	{"6to4 2002::/16, judged by the IPv4 it carries", []string{"2002:7f00:1::1", "2002:a00:1::1", "2002:a9fe:a9fe::1", "2002:c612:1::1", "2002::1", "2002:7f00:1::1%eth0"}, []string{"2002:808:808::1", "2002:101:101::1"}},
	{"discard-only 100::/64", []string{"100::1", "100::ffff:ffff:ffff:ffff"}, []string{"100:0:0:1::1"}},
	{"IETF protocol assignments 2001::/23, Teredo included", []string{"2001::1", "2001:0:4136:e378::1", "2001:2::1", "2001:1ff::1"}, []string{"2001:200::1"}},
	{"documentation 2001:db8::/32", []string{"2001:db8::1", "2001:db8:ffff::1"}, []string{"2001:db9::1"}},
	{"documentation 3fff::/20", []string{"3fff::1", "3fff:fff::1"}, []string{"3fff:1000::1"}},
	{"SRv6 SIDs 5f00::/16", []string{"5f00::1"}, nil},
	{"site-local fec0::/10", []string{"fec0::1", "feff::1"}, nil},
	{"public hosts", nil, []string{"8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2400:3200::1", "2a00:1450:4001::1"}},
}

// urlFor returns an http URL whose host is the address s.
func urlFor(s string) string {
	ip := netip.MustParseAddr(s)
	host := ip.String()
	if ip.Is6() {
		host = "[" + ip.WithZone("").String()
		if ip.Zone() != "" {
			host += "%25" + ip.Zone()
		}
		host += "]"
	}
	return (&url.URL{Scheme: "http", Host: host, Path: "/hook"}).String()
}

func TestEveryInternalRangeIsRefusedWhenRegisteredAndWhenDialled(t *testing.T) {
	ctx := context.Background()
	dial := safeDialer(false).Control
	for _, r := range addressRanges {
		t.Run(r.name, func(t *testing.T) {
			for _, s := range r.inside {
				if err := CheckURL(ctx, urlFor(s), false); !errors.Is(err, ErrForbiddenAddress) {
					t.Errorf("CheckURL(%s) = %v, want ErrForbiddenAddress", urlFor(s), err)
				}
				for _, network := range []string{"tcp", "tcp4", "tcp6"} {
					if err := dial(network, net.JoinHostPort(s, "443"), nil); !errors.Is(err, ErrForbiddenAddress) {
						t.Errorf("the dialer let %s through to %s: %v", network, s, err)
					}
				}
			}
			for _, s := range r.outsides {
				if err := CheckURL(ctx, urlFor(s), false); err != nil {
					t.Errorf("CheckURL(%s) refused a public address: %v", urlFor(s), err)
				}
				if err := dial("tcp", net.JoinHostPort(s, "443"), nil); err != nil {
					t.Errorf("the dialer refused the public address %s: %v", s, err)
				}
			}
		})
	}
}

func TestWithPrivateAddressesAllowedTheDialerChecksNothing(t *testing.T) {
	if d := safeDialer(true); d.Control != nil {
		t.Fatal("a dialer for a private deployment still filters addresses")
	}
}
