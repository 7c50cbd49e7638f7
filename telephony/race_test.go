//go:build race

package telephony_test

// raceEnabled: the race detector's bookkeeping allocates, so allocation
// counts mean nothing under it.
const raceEnabled = true
