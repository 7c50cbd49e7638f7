//go:build race

package scripting

// raceEnabled: the race detector reserves address space that an RLIMIT_AS
// memory limit collides with.
const raceEnabled = true
