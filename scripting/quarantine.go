package scripting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// A script host is shared: the calls and requests of many tenants run in
// it. A script that brings its host down (past the memory limit, or stuck
// past the request timeout) ends every one of them, so a pool remembers
// which scripts were running when each host died and refuses a script
// from then on once it is clearly to blame: the one whose request the host
// never answered, the only script running at the time, or one that was
// running at two deaths. Changing the script gives it a fresh start; the
// quarantine lasts as long as the pool, or, with HostConfig.Quarantine,
// beyond it: then every pool of every process also takes up, within
// QuarantineSync, the scripts others quarantined, and lets go of those a
// platform operator released (`outcall admin scripts release KEY`).

// QuarantineSync is how often a pool with a QuarantineStore reads it again.
const QuarantineSync = 15 * time.Second

// QuarantinedError is the error of a request for a script that brought a
// script host down: it is not run again. Why is the host's death.
type QuarantinedError struct {
	Why string
	// Key names the script in the platform's quarantine (a hash of its
	// source), for an operator who releases it.
	Key string
}

func (e *QuarantinedError) Error() string {
	return "this script brought down the sandbox that ran it (" + e.Why + "), so it is not run again until it is changed " +
		"(or a platform operator releases it: quarantine key " + e.Key + ")"
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
	// kept are the quarantined scripts known to be in the store, each
	// with the generation of the first read of the store certain to see
	// it: gone from that read or a later one, it was released.
	kept map[string]uint64
	// reads counts the reads of the store begun.
	reads uint64
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
			if st := p.cfg.Quarantine; st != nil {
				go func(key string) {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if err := st.Add(ctx, key, why); err != nil {
						p.cfg.Logf("%s script hosts: script %s's quarantine not kept beyond this pool: %v", p.cfg.Name, key, err)
						return
					}
					// A read begun before now may have missed the row.
					p.qmu.Lock()
					p.kept[key] = p.reads + 1
					p.qmu.Unlock()
				}(k)
			}
		}
	}
}

// refuse returns a *QuarantinedError when the script is quarantined.
func (p *HostPool) refuse(key string) error {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	if why, ok := p.why[key]; ok {
		return &QuarantinedError{Why: why, Key: key}
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

// QuarantineStore keeps quarantined scripts (by key: a hash of their
// source, nothing of the tenant's) beyond a pool's life.
type QuarantineStore interface {
	// All returns every quarantined script's key and why.
	All(ctx context.Context) (map[string]string, error)
	// Add keeps key as quarantined for why.
	Add(ctx context.Context, key, why string) error
}

// QuarantineTable is a QuarantineStore in PostgreSQL (script_quarantine):
// one for the platform, shared by every pool and process.
type QuarantineTable struct{ DB *tenants.DB }

// All returns the quarantined scripts.
func (q QuarantineTable) All(ctx context.Context) (map[string]string, error) {
	rows, err := q.DB.Pool().Query(ctx, `SELECT key, why FROM script_quarantine`)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var key, why string
	_, err = pgx.ForEachRow(rows, []any{&key, &why}, func() error { out[key] = why; return nil })
	return out, err
}

// Add keeps a quarantined script; the first why stands.
func (q QuarantineTable) Add(ctx context.Context, key, why string) error {
	_, err := q.DB.Pool().Exec(ctx, `INSERT INTO script_quarantine (key, why) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, why)
	return err
}

// loadQuarantine reads the scripts quarantined in the store: all of them,
// and lets go of those released from it (see quarantine.kept).
func (p *HostPool) loadQuarantine() error {
	if p.cfg.Quarantine == nil {
		return nil
	}
	p.qmu.Lock()
	p.reads++
	read := p.reads
	p.qmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	all, err := p.cfg.Quarantine.All(ctx)
	if err != nil {
		return err
	}
	p.qmu.Lock()
	defer p.qmu.Unlock()
	for k, since := range p.kept {
		if _, still := all[k]; !still && since <= read {
			delete(p.why, k)
			delete(p.strikes, k)
			delete(p.kept, k)
			p.cfg.Logf("%s script hosts: script %s released from quarantine", p.cfg.Name, k)
		}
	}
	for k, why := range all {
		p.why[k] = why
		if _, ok := p.kept[k]; !ok {
			p.kept[k] = read
		}
	}
	return nil
}

// syncQuarantine reads the store again every interval until done closes.
func (p *HostPool) syncQuarantine(interval time.Duration, done <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if err := p.loadQuarantine(); err != nil {
				p.cfg.Logf("%s script hosts: the quarantined scripts could not be read again: %v", p.cfg.Name, err)
			}
		}
	}
}
