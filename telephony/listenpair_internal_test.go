package telephony

import (
	"errors"
	"net"
	"testing"
)

// holdTCPFreeForUDP takes a TCP port on loopback whose UDP side is free.
func holdTCPFreeForUDP(t *testing.T) net.Listener {
	t.Helper()
	for i := 0; i < 100; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if c, err := net.ListenPacket("udp", l.Addr().String()); err == nil {
			c.Close()
			t.Cleanup(func() { l.Close() })
			return l
		}
		l.Close()
	}
	t.Fatal("no TCP port on loopback with its UDP side free")
	return nil
}

func TestListenUDPAndTCPGivesUpAUDPPortWhoseTCPSideIsTaken(t *testing.T) {
	held := holdTCPFreeForUDP(t)
	// The system's first pick is the port another process holds for TCP,
	// as happens on a busy machine; the UDP sockets handed out are kept to
	// check each is closed or returned.
	var opened []net.PacketConn
	listenPacket = func(network, addr string) (net.PacketConn, error) {
		if len(opened) == 0 {
			addr = held.Addr().String()
		}
		c, err := net.ListenPacket(network, addr)
		if err == nil {
			opened = append(opened, c)
		}
		return c, err
	}
	defer func() { listenPacket = net.ListenPacket }()

	conn, tl, err := ListenUDPAndTCP("127.0.0.1:0")
	if err != nil {
		t.Fatalf("the pair failed instead of taking another port: %v", err)
	}
	defer conn.Close()
	defer tl.Close()
	udp, tcp := conn.LocalAddr().(*net.UDPAddr).Port, tl.Addr().(*net.TCPAddr).Port
	if udp != tcp {
		t.Fatalf("UDP port %d, TCP port %d", udp, tcp)
	}
	if udp == held.Addr().(*net.TCPAddr).Port {
		t.Fatalf("took port %d, which another holds for TCP", udp)
	}
	if len(opened) < 2 {
		t.Fatalf("%d UDP sockets opened, want the held port's and another", len(opened))
	}
	if _, err := opened[0].WriteTo([]byte{0}, conn.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("the UDP socket on the held port was left open (write: %v)", err)
	}

	// A fixed port whose TCP side is taken is refused, and its UDP socket
	// is not left open.
	opened = nil
	listenPacket = func(network, addr string) (net.PacketConn, error) {
		c, err := net.ListenPacket(network, addr)
		if err == nil {
			opened = append(opened, c)
		}
		return c, err
	}
	if _, _, err := ListenUDPAndTCP(held.Addr().String()); err == nil {
		t.Fatalf("port %s is taken for TCP, yet the pair was opened", held.Addr())
	}
	if len(opened) != 1 {
		t.Fatalf("%d UDP sockets opened for a fixed port, want 1", len(opened))
	}
	if _, err := opened[0].WriteTo([]byte{0}, conn.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("the refused pair left its UDP socket open (write: %v)", err)
	}
}
