//go:build linux && !amd64 && !arm64

package telephony

const clockNanosleepNR = -1
