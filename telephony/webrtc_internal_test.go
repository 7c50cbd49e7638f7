package telephony

import (
	"net"
	"testing"
	"time"
)

// A call joined to an agent's browser hands the browser every packet it
// takes in, on the media clock: that costs no allocation, whether the
// browser's writer keeps up or its queue is full and frames are dropped.
func TestHearingAJoinedLegAllocatesNothing(t *testing.T) {
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

	// A leg with no peer connection: only Hear's side of it.
	leg := &WebRTCLeg{out: make(chan [frameSamples]byte, hearQueue), done: make(chan struct{})}
	s.tapTo(leg.Hear)
	if n := testing.AllocsPerRun(500, func() { s.handlePacket(pkt, from) }); n != 0 {
		t.Errorf("a packet heard by a joined leg costs %v allocations", n)
	}
	if len(leg.out) != hearQueue || leg.dropped.Load() == 0 {
		t.Fatalf("%d frames queued, %d dropped: want the queue full and the rest dropped", len(leg.out), leg.dropped.Load())
	}
	if f := <-leg.out; f[0] != 0xFF {
		t.Fatalf("queued frame starts %#x, want the packet's µ-law", f[0])
	}
	// Odd packet sizes are framed in 20 ms.
	leg2 := &WebRTCLeg{out: make(chan [frameSamples]byte, hearQueue), done: make(chan struct{})}
	leg2.Hear(make([]int16, 100))
	leg2.Hear(make([]int16, 300))
	if len(leg2.out) != 2 || leg2.bufN != 80 {
		t.Fatalf("400 samples made %d frames and left %d, want 2 and 80", len(leg2.out), leg2.bufN)
	}
	s.tapTo(nil)
	if s.tap.Load() != nil {
		t.Fatal("tap not cleared")
	}
}
