//go:build linux && (amd64 || arm64)

package telephony

import (
	"syscall"
	"unsafe"
)

// recv reads one waiting datagram without blocking; n is 0 when none.
// It also says who sent it, with a plain recvfrom into a buffer of the
// socket's own: syscall.Recvfrom would allocate the address anew for
// every packet, and every packet's sender is checked (only the peer's RTP
// is taken in).
func (u *udpSender) recv(buf []byte) (n int, from rtpAddr) {
	u.fromLen = syscall.SizeofSockaddrAny
	r, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, uintptr(u.fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
		syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&u.from)), uintptr(unsafe.Pointer(&u.fromLen)))
	if errno != 0 {
		// EAGAIN (nothing waiting), or ECONNREFUSED from an earlier ICMP
		// port unreachable: nothing read this time.
		return 0, rtpAddr{}
	}
	switch u.from.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&u.from))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		from = rtpAddr{ip: v4Host(sa.Addr), port: uint16(p[0])<<8 | uint16(p[1])}
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&u.from))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		from = rtpAddr{ip: sa.Addr, port: uint16(p[0])<<8 | uint16(p[1])}
	}
	return int(r), from
}

const recvAllocFree = true
