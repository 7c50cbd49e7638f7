package scripting

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
)

// A script host is shared: the calls and requests of many tenants run in
// it. A script that brings its host down (past the memory limit, or stuck
// past the request timeout) ends every one of them, so a pool remembers
// which scripts were running when each host died and refuses a script
// from then on once it is clearly to blame: the one whose request the host
// never answered, the only script running at the time, or one that was
// running at two deaths. Changing the script gives it a fresh start; the
// quarantine lasts as long as the pool.

// QuarantinedError is the error of a request for a script that brought a
// script host down: it is not run again. Why is the host's death.
type QuarantinedError struct {
	Why string
}

func (e *QuarantinedError) Error() string {
	return "this script brought down the sandbox that ran it (" + e.Why + "), so it is not run again until it is changed"
}

// HostDownError is the error of a check, simulation or segmentation whose
// host died under it, because of another script or its own: the request
// may be sent again.
type HostDownError struct {
	Why string
}

func (e *HostDownError) Error() string {
	return "the sandbox running the script stopped (" + e.Why + "); try again"
}

// scriptKey names a script by its source, so a changed script is another.
func scriptKey(source string) string {
	sum := sha256.Sum256([]byte(source))
	return hex.EncodeToString(sum[:12])
}

type quarantine struct {
	qmu     sync.Mutex
	strikes map[string]int
	why     map[string]string
}

// blame records a host's death: present are the scripts of the requests in
// flight (one per request), stuck the one whose request timed out.
func (p *HostPool) blame(present []string, stuck, why string) {
	distinct := map[string]bool{}
	for _, k := range present {
		distinct[k] = true
	}
	p.qmu.Lock()
	defer p.qmu.Unlock()
	for k := range distinct {
		p.strikes[k]++
		if _, done := p.why[k]; done {
			continue
		}
		if k == stuck || len(distinct) == 1 || p.strikes[k] >= 2 {
			p.why[k] = why
			p.metrics.quarantined.Inc()
			p.cfg.Logf("%s script hosts: script %s quarantined: %s", p.cfg.Name, k, why)
		}
	}
}

// refuse returns a *QuarantinedError when the script is quarantined.
func (p *HostPool) refuse(key string) error {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	if why, ok := p.why[key]; ok {
		return &QuarantinedError{Why: why}
	}
	return nil
}

// Quarantined reports whether the pool refuses to run source, and why.
func (p *HostPool) Quarantined(source string) (string, bool) {
	if err := p.refuse(scriptKey(source)); err != nil {
		return err.(*QuarantinedError).Why, true
	}
	return "", false
}

// explain turns the death of a host under a request for key into the
// error its caller gets: the script is to blame (quarantined) or not.
func (p *HostPool) explain(key string, err error) error {
	var died hostDied
	if !errors.As(err, &died) {
		return err
	}
	if q := p.refuse(key); q != nil {
		return q
	}
	return &HostDownError{Why: fmt.Sprint(died.err)}
}
