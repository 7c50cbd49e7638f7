package telephony

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// rtpBytes is one valid 20 ms PCMU packet whose samples are all fill.
func rtpBytes(t *testing.T, seq uint16, fill byte) []byte {
	t.Helper()
	payload := make([]byte, frameSamples)
	for i := range payload {
		payload[i] = fill
	}
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PCMU.PayloadType, SequenceNumber: seq,
		Timestamp: uint32(seq) * frameSamples, SSRC: 0x5eed}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// udpFrom opens a socket on ip; hosts other than 127.0.0.1 stand for
// other machines (Linux answers the whole of 127.0.0.0/8 on loopback).
func udpFrom(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Skipf("cannot bind %s to send from another host: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sendRTP sends n valid packets from c to the session.
func sendRTP(t *testing.T, c *net.UDPConn, s *MediaSession, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := c.WriteToUDP(rtpBytes(t, uint16(i), 0xFF), s.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
}

// waitStats waits until the session's counters say what want says.
func waitStats(t *testing.T, s *MediaSession, what string, want func(MediaStats) bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !want(s.Stats()); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: stats %+v", what, s.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readsRTP waits for one packet of the session on c.
func readsRTP(t *testing.T, c *net.UDPConn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 1500)
	if _, _, err := c.ReadFromUDP(buf); err != nil {
		t.Fatalf("no RTP from the session at %s: %v", c.LocalAddr(), err)
	}
}

func TestMediaSessionTakesRTPOnlyFromThePeersSDPAddress(t *testing.T) {
	clock := NewMediaClock(1)
	defer clock.Close()
	s, err := NewMediaSession(clock, MediaConfig{RTPTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	peer := udpFrom(t, "127.0.0.1")
	samePort := udpFrom(t, "127.0.0.1") // the peer's host, another port
	otherHost := udpFrom(t, "127.0.0.2")

	// Before the peer's SDP nothing is read (formerly the first packet's
	// sender became the peer): it waits until the SDP says whose it is.
	sendRTP(t, otherHost, s, 3)
	sendRTP(t, peer, s, 2)
	time.Sleep(100 * time.Millisecond) // five ticks
	if st := s.Stats(); st.PacketsIn != 0 || st.ForeignPacketsIn != 0 {
		t.Fatalf("stats %+v before any SDP: want nothing read", st)
	}
	s.SetPeer(peer.LocalAddr().(*net.UDPAddr))
	waitStats(t, s, "once the SDP came, the peer's early packets are taken in and the stranger's dropped",
		func(st MediaStats) bool { return st.PacketsIn == 2 && st.ForeignPacketsIn == 3 })

	sendRTP(t, samePort, s, 4)
	sendRTP(t, otherHost, s, 5)
	waitStats(t, s, "packets from the peer's host on another port and from another host are dropped",
		func(st MediaStats) bool { return st.ForeignPacketsIn == 3+4+5 })
	sendRTP(t, peer, s, 6)
	waitStats(t, s, "the peer's packets are taken in", func(st MediaStats) bool { return st.PacketsIn == 2+6 })
	if st := s.Stats(); st.ForeignPacketsIn != 12 || st.BadPacketsIn != 0 || st.LatchedTo != "" {
		t.Fatalf("stats %+v: want 12 foreign, none bad, no latch (a loopback SDP address is taken as it is)", st)
	}
	s.Start()
	readsRTP(t, peer)
}

func TestSymmetricRTPLatchesOnlyOnToThePeersHosts(t *testing.T) {
	clock := NewMediaClock(1)
	defer clock.Close()
	natted := &net.UDPAddr{IP: net.IPv4(10, 20, 30, 40), Port: 4000} // behind NAT: never the source

	t.Run("private SDP address latches on to the signalling host", func(t *testing.T) {
		s, err := NewMediaSession(clock, MediaConfig{RTPTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		peer := udpFrom(t, "127.0.0.1")
		sameHost := udpFrom(t, "127.0.0.1")
		stranger := udpFrom(t, "127.0.0.2")
		s.SetPeer(natted, net.IPv4(127, 0, 0, 1))

		sendRTP(t, stranger, s, 3)
		waitStats(t, s, "a host that is neither the SDP's nor the signalling one is not latched on to",
			func(st MediaStats) bool { return st.ForeignPacketsIn == 3 && st.LatchedTo == "" })
		sendRTP(t, peer, s, 1)
		waitStats(t, s, "the signalling host's first packet latches", func(st MediaStats) bool { return st.PacketsIn == 1 })
		if got, want := s.Stats().LatchedTo, peer.LocalAddr().String(); got != want {
			t.Fatalf("latched to %q, want %q", got, want)
		}
		// The answer repeats the early media's SDP: the latch stays.
		s.SetPeer(natted, net.IPv4(127, 0, 0, 1))
		sendRTP(t, sameHost, s, 4)
		sendRTP(t, stranger, s, 2)
		sendRTP(t, peer, s, 5)
		waitStats(t, s, "after the latch only the latched address is taken in",
			func(st MediaStats) bool { return st.PacketsIn == 6 && st.ForeignPacketsIn == 3+4+2 })
		// Our RTP goes back where the peer's comes from, not to the
		// SDP's private address.
		s.Start()
		readsRTP(t, peer)
	})

	t.Run("public SDP address with SymmetricRTP latches on to the SDP host only", func(t *testing.T) {
		s, err := NewMediaSession(clock, MediaConfig{RTPTimeout: time.Minute, SymmetricRTP: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		peer := udpFrom(t, "127.0.0.1")
		stranger := udpFrom(t, "127.0.0.2")
		// The SDP names the peer's host with a port it does not send from.
		s.SetPeer(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
		sendRTP(t, stranger, s, 2)
		sendRTP(t, peer, s, 3)
		waitStats(t, s, "the SDP host's packets latch, the stranger's are dropped",
			func(st MediaStats) bool { return st.PacketsIn == 3 && st.ForeignPacketsIn == 2 })
		if got, want := s.Stats().LatchedTo, peer.LocalAddr().String(); got != want {
			t.Fatalf("latched to %q, want %q", got, want)
		}
	})

	t.Run("no latch after the window", func(t *testing.T) {
		s, err := NewMediaSession(clock, MediaConfig{RTPTimeout: time.Minute, LatchWindow: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		peer := udpFrom(t, "127.0.0.1")
		s.SetPeer(natted, net.IPv4(127, 0, 0, 1))
		time.Sleep(150 * time.Millisecond) // three times the window
		sendRTP(t, peer, s, 3)
		waitStats(t, s, "a first packet after the window is dropped",
			func(st MediaStats) bool { return st.ForeignPacketsIn == 3 })
		if st := s.Stats(); st.PacketsIn != 0 || st.LatchedTo != "" {
			t.Fatalf("stats %+v: want nothing taken in and no latch", st)
		}
	})
}

func TestUnroutableSDPAddressesAreLatchedOnTo(t *testing.T) {
	public, loop := net.ParseIP("8.8.4.4"), net.ParseIP("127.0.0.1")
	for _, c := range []struct {
		ip    string
		local net.IP
		want  bool
	}{
		{"10.1.2.3", public, true},
		{"172.16.0.9", public, true},
		{"192.168.1.20", public, true},
		{"100.64.3.4", public, true}, // carrier-grade NAT
		{"169.254.1.1", public, true},
		{"0.0.0.0", public, true},
		{"192.0.2.2", public, true}, // documentation: an interface no one routes to
		{"224.0.0.1", public, true},
		{"fd00::1", public, true},
		{"fe80::1", public, true},
		{"2001:db8::5", public, true},
		{"127.0.0.1", public, true}, // a loopback address from a peer elsewhere
		{"127.0.0.1", loop, false},  // both ends on loopback: it is the address
		{"8.8.8.8", public, false},
		{"2606:4700::1111", public, false},
		{"100.128.0.1", public, false}, // just past the CGNAT range
	} {
		if got := unroutable(net.ParseIP(c.ip), c.local); got != c.want {
			t.Errorf("unroutable(%s) from %s = %v, want %v", c.ip, c.local, got, c.want)
		}
	}
}

// The receive path runs for every packet of a thousand calls: checking
// the sender must cost no allocation.
func TestReceivingRTPAllocatesNothing(t *testing.T) {
	clock := NewMediaClock(1)
	defer clock.Close()
	s, err := NewMediaSession(clock, MediaConfig{RTPTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// This test reads the socket itself: the clock waits meanwhile.
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	peer := udpFrom(t, "127.0.0.1")
	stranger := udpFrom(t, "127.0.0.2")
	s.SetPeer(peer.LocalAddr().(*net.UDPAddr))
	from := rtpAddrOf(peer.LocalAddr().(*net.UDPAddr))
	other := rtpAddrOf(stranger.LocalAddr().(*net.UDPAddr))
	pkt := rtpBytes(t, 1, 0xFF)

	if n := testing.AllocsPerRun(500, func() { s.handlePacket(pkt, from) }); n != 0 {
		t.Errorf("a packet from the peer costs %v allocations", n)
	}
	if n := testing.AllocsPerRun(500, func() { s.handlePacket(pkt, other) }); n != 0 {
		t.Errorf("a packet from a stranger costs %v allocations", n)
	}
	if st := s.Stats(); st.PacketsIn != 501 || st.ForeignPacketsIn != 501 {
		t.Fatalf("stats %+v: want 501 taken in and 501 dropped", st)
	}

	const runs = 40
	sendRTP(t, peer, s, runs+1)
	time.Sleep(100 * time.Millisecond) // let loopback deliver them all
	buf := make([]byte, 2048)
	got := 0
	if n := testing.AllocsPerRun(runs, func() {
		if n, a := s.out.recv(buf); n > 0 && a == from {
			got++
		}
	}); n != 0 && recvAllocFree {
		t.Errorf("reading a packet and its sender costs %v allocations", n)
	}
	if got != runs+1 {
		t.Fatalf("read %d packets from the peer's address, want %d", got, runs+1)
	}
}
