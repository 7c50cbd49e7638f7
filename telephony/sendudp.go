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
