package jobs

import (
	"testing"
	"time"
)

// A dial admitted before the drain began finishes recording its attempt
// before Begin returns; once Begin has returned no dial is admitted.
func TestTheDrainWaitsForAdmittedDialsAndAdmitsNoneAfter(t *testing.T) {
	var d Drain
	release, ok := d.admit()
	if !ok || d.Began() {
		t.Fatal("a dial was refused before the drain")
	}
	begun := make(chan struct{})
	go func() {
		d.Begin()
		close(begun)
	}()
	select {
	case <-begun:
		t.Fatal("Begin returned while an admitted dial was still recording its attempt")
	case <-time.After(100 * time.Millisecond):
	}
	release()
	select {
	case <-begun:
	case <-time.After(5 * time.Second):
		t.Fatal("Begin did not return once the admitted dial had recorded its attempt")
	}
	if _, ok := d.admit(); ok {
		t.Fatal("a dial was admitted after the drain began")
	}
	if !d.Began() {
		t.Fatal("Began is false after Begin")
	}
	select {
	case <-d.Draining():
	default:
		t.Fatal("Draining is not closed after Begin")
	}
	d.Begin() // twice is fine
	var none *Drain
	if release, ok := none.admit(); !ok || none.Began() {
		t.Fatal("a nil Drain refused a dial")
	} else {
		release()
	}
}
