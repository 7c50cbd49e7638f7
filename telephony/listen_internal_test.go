package telephony

import (
	"net"
	"testing"
	"time"
)

// A streaming recogniser taps the capture on the receive path of every
// packet: the tap and its signal cost no allocation, and the feeder
// reads what it signals for without one either.
func TestTappingTheCaptureAllocatesNothing(t *testing.T) {
	clock := NewMediaClock(1)
	defer clock.Close()
	s, err := NewMediaSession(clock, MediaConfig{RTPTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.tickMu.Lock() // this test feeds the session itself
	defer s.tickMu.Unlock()
	peer := udpFrom(t, "127.0.0.1")
	s.SetPeer(peer.LocalAddr().(*net.UDPAddr))
	from := rtpAddrOf(peer.LocalAddr().(*net.UDPAddr))
	pkt := rtpBytes(t, 1, 0xFF)

	s.StartCapture()
	for i := 0; i < 800; i++ { // grow the capture once, as a long utterance would
		s.handlePacket(pkt, from)
	}
	s.inMu.Lock()
	s.capture = s.capture[:0]
	s.inMu.Unlock()
	tick := make(chan struct{}, 1)
	s.tapCapture(tick, tapEvery)
	if n := testing.AllocsPerRun(500, func() { s.handlePacket(pkt, from) }); n != 0 {
		t.Errorf("a packet with the capture tapped costs %v allocations", n)
	}
	select {
	case <-tick:
	default:
		t.Fatal("the tap never signalled")
	}
	buf, off := make([]int16, 0, 4*tapEvery), 0
	if n := testing.AllocsPerRun(100, func() {
		s.handlePacket(pkt, from)
		buf, off = s.captureFrom(off, buf[:0])
	}); n != 0 {
		t.Errorf("reading what the tap signalled costs %v allocations", n)
	}
	if off != len(s.capture) || len(buf) != frameSamples {
		t.Errorf("read up to %d of %d samples, %d the last time", off, len(s.capture), len(buf))
	}
}
