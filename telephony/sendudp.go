package telephony

import (
	"net"
	"syscall"
)

// udpSender writes RTP without ever blocking the media clock: a packet the
// kernel cannot take right away (a full send buffer) is dropped and
// counted, as a late packet would be useless anyway.
type udpSender struct {
	raw    syscall.RawConn
	remote *net.UDPAddr
	sa     syscall.Sockaddr
}

func newUDPSender(conn *net.UDPConn) (*udpSender, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &udpSender{raw: raw}, nil
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
	var serr error
	err := u.raw.Write(func(fd uintptr) bool {
		serr = syscall.Sendto(int(fd), b, syscall.MSG_DONTWAIT, u.sa)
		return true
	})
	if err != nil {
		return err
	}
	return serr
}
