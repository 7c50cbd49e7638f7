package telephony

import (
	"net"
	"syscall"
)

// udpSender reads and writes an RTP socket with plain non-blocking system
// calls from the media clock's goroutine. Writes never block the clock: a
// packet the kernel cannot take right away (a full send buffer) is dropped
// and counted, as a late packet would be useless anyway. The descriptor is
// only used under the session's tick lock, which Close also takes.
type udpSender struct {
	fd     int
	remote *net.UDPAddr
	sa     syscall.Sockaddr
}

func newUDPSender(conn *net.UDPConn) (*udpSender, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	u := &udpSender{fd: -1}
	if err := raw.Control(func(fd uintptr) { u.fd = int(fd) }); err != nil {
		return nil, err
	}
	return u, nil
}

func (u *udpSender) send(b []byte, to *net.UDPAddr) error {
	if to != u.remote {
		u.remote = to
		if ip4 := to.IP.To4(); ip4 != nil {
			sa := &syscall.SockaddrInet4{Port: to.Port}
			copy(sa.Addr[:], ip4)
			u.sa = sa
		} else {
			sa := &syscall.SockaddrInet6{Port: to.Port}
			copy(sa.Addr[:], to.IP.To16())
			u.sa = sa
		}
	}
	return syscall.Sendto(u.fd, b, syscall.MSG_DONTWAIT, u.sa)
}

// recv reads one waiting datagram without blocking; n is 0 when none.
// The sender's address is only asked for when wantFrom is set (it costs
// an allocation per packet).
func (u *udpSender) recv(buf []byte, wantFrom bool) (n int, from syscall.Sockaddr) {
	var err error
	if wantFrom {
		n, from, err = syscall.Recvfrom(u.fd, buf, syscall.MSG_DONTWAIT)
	} else {
		n, err = syscall.Read(u.fd, buf)
	}
	if err != nil {
		// EAGAIN (nothing waiting), or ECONNREFUSED from an earlier ICMP
		// port unreachable: nothing read this time.
		return 0, nil
	}
	return n, from
}

func udpAddrOf(sa syscall.Sockaddr) *net.UDPAddr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.UDPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *syscall.SockaddrInet6:
		return &net.UDPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	}
	return nil
}
