package telephony

import (
	"net"
	"os"
	"syscall"
)

// udpSender reads and writes an RTP socket with plain non-blocking system
// calls from the media clock's goroutine. Writes never block the clock: a
// packet the kernel cannot take right away (a full send buffer) is dropped
// and counted, as a late packet would be useless anyway. The descriptor is
// only used under the session's tick lock, which Close also takes.
//
// The socket is opened with system calls rather than net.ListenUDP: the
// clock polls it, so it stays out of the Go runtime's network poller,
// which would otherwise be woken for every packet that arrives on every
// call without anyone waiting for it.
type udpSender struct {
	fd     int
	local  *net.UDPAddr
	remote *net.UDPAddr
	sa     syscall.Sockaddr
	// from and fromLen receive the sender's address of each datagram
	// read (recv_fast.go): kept here so reading allocates nothing.
	from    syscall.RawSockaddrAny
	fromLen uint32
}

// listenUDP opens a non-blocking UDP socket on an ephemeral port of ip.
func listenUDP(ip net.IP) (*udpSender, error) {
	family, sa := syscall.AF_INET, syscall.Sockaddr(nil)
	if ip4 := ip.To4(); ip4 != nil {
		a := &syscall.SockaddrInet4{}
		copy(a.Addr[:], ip4)
		sa = a
	} else if ip16 := ip.To16(); ip16 != nil {
		a := &syscall.SockaddrInet6{}
		copy(a.Addr[:], ip16)
		family, sa = syscall.AF_INET6, a
	} else {
		return nil, &net.AddrError{Err: "not an IP address", Addr: ip.String()}
	}
	syscall.ForkLock.RLock() // no process may inherit it before close-on-exec is set
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM, syscall.IPPROTO_UDP)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	bound, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("getsockname", err)
	}
	return &udpSender{fd: fd, local: udpAddrOf(bound)}, nil
}

func (u *udpSender) close() error {
	if u.fd < 0 {
		return nil
	}
	err := syscall.Close(u.fd)
	u.fd = -1
	return err
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

// rtpAddr is a UDP address in a form that compares with == and is made
// without allocating: IPv4 addresses in their IPv4-mapped IPv6 form, as
// net.ParseIP gives them.
type rtpAddr struct {
	ip   [16]byte
	port uint16
}

// rtpHost is the IP part of an rtpAddr.
type rtpHost = [16]byte

func hostOf(ip net.IP) (h rtpHost) {
	if ip16 := ip.To16(); ip16 != nil {
		copy(h[:], ip16)
	}
	return h
}

func rtpAddrOf(a *net.UDPAddr) rtpAddr {
	return rtpAddr{ip: hostOf(a.IP), port: uint16(a.Port)}
}

func (a rtpAddr) udpAddr() *net.UDPAddr {
	ip := make(net.IP, 16)
	copy(ip, a.ip[:])
	if ip4 := ip.To4(); ip4 != nil {
		ip = ip4
	}
	return &net.UDPAddr{IP: ip, Port: int(a.port)}
}

func v4Host(b [4]byte) (h rtpHost) {
	h[10], h[11] = 0xff, 0xff
	copy(h[12:], b[:])
	return h
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
