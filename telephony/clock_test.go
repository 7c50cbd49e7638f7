package telephony

import (
	"net"
	"testing"
	"time"
)

// Sessions fill the slots of the least loaded shard evenly, each keeps
// its place, and a closed session gives its place and its port back.
func TestMediaClockSpreadsSessionsOverSlotsAndShards(t *testing.T) {
	clock := NewMediaClockWith(ClockOptions{Shards: 2, Slots: 5})
	defer clock.Close()
	var sessions []*MediaSession
	for i := 0; i < 20; i++ {
		s, err := NewMediaSession(clock, MediaConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sessions = append(sessions, s)
	}
	for i, sh := range clock.shards {
		if got := sh.count.Load(); got != 10 {
			t.Fatalf("shard %d has %d sessions, want 10", i, got)
		}
		for j, slot := range sh.slots {
			if len(slot) != 2 {
				t.Fatalf("shard %d slot %d has %d sessions, want 2", i, j, len(slot))
			}
		}
	}
	gone := sessions[3]
	addr := gone.LocalAddr()
	gone.Close()
	sh := gone.shard
	if got := len(sh.slots[gone.slot]); got != 1 {
		t.Fatalf("slot keeps %d sessions after a close, want 1", got)
	}
	// The port is free again: the socket was closed.
	c, err := net.ListenUDP("udp", addr)
	if err != nil {
		t.Fatalf("port of a closed session still taken: %v", err)
	}
	c.Close()
	// The next session takes the free place.
	s, err := NewMediaSession(clock, MediaConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.shard != sh || s.slot != gone.slot {
		t.Fatalf("new session went to slot %d, want the freed slot %d", s.slot, gone.slot)
	}
}

// A session sends one packet every 20 ms from its slot, whatever slot
// that is.
func TestMediaClockSendsEveryFrameFromEachSlot(t *testing.T) {
	clock := NewMediaClockWith(ClockOptions{Shards: 1, Slots: 4})
	defer clock.Close()
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	var sessions []*MediaSession
	for i := 0; i < 4; i++ {
		s, err := NewMediaSession(clock, MediaConfig{RTPTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.SetRemote(sink.LocalAddr().(*net.UDPAddr))
		s.Start()
		sessions = append(sessions, s)
	}
	time.Sleep(time.Second)
	for i, s := range sessions {
		// 50 packets a second; a loaded test machine may drop a few ticks.
		if n := s.Stats().PacketsOut; n < 35 || n > 52 {
			t.Fatalf("session %d in slot %d sent %d packets in a second, want about 50", i, s.slot, n)
		}
	}
	if st := clock.SendJitter(); st.Samples < 4*35 {
		t.Fatalf("jitter samples %d", st.Samples)
	}
}
