//go:build !(linux && (amd64 || arm64))

package telephony

import "syscall"

// recv reads one waiting datagram without blocking; n is 0 when none.
// Here syscall.Recvfrom allocates the sender's address for every packet;
// recv_fast.go avoids that where the media plane runs in production.
func (u *udpSender) recv(buf []byte) (n int, from rtpAddr) {
	n, sa, err := syscall.Recvfrom(u.fd, buf, syscall.MSG_DONTWAIT)
	if err != nil {
		// EAGAIN (nothing waiting), or ECONNREFUSED from an earlier ICMP
		// port unreachable: nothing read this time.
		return 0, rtpAddr{}
	}
	return n, sockaddrKey(sa)
}

// sockaddrKey converts what syscall.Recvfrom returns.
func sockaddrKey(sa syscall.Sockaddr) rtpAddr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return rtpAddr{ip: v4Host(a.Addr), port: uint16(a.Port)}
	case *syscall.SockaddrInet6:
		return rtpAddr{ip: a.Addr, port: uint16(a.Port)}
	}
	return rtpAddr{}
}

const recvAllocFree = false
