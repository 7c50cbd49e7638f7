package main

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/outcall/outcall/tenants/localpg"
)

// A campaign dialled by two worker processes against callee-sim keeps
// every promise while one worker is killed (SIGKILL), the other is stopped
// for a deploy (SIGTERM) and PostgreSQL is stopped for 30 s: every call the
// carrier saw has one true record, no number is dialled beyond its daily
// cap or after its callee said stop, the usage ledger bills exactly the
// calls' seconds, every webhook event is delivered, and no line is left
// leased by the dead worker.
func TestACampaignSurvivesAKilledWorkerADeployAndADatabaseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos run takes about two minutes; -short skips it")
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng): prompts cannot be spoken")
	}
	if _, err := localpg.FindBinDir(); err != nil {
		t.Skip("PostgreSQL's server binaries are not installed: the run needs a cluster of its own to stop")
	}
	rep, err := runChaos(context.Background(), chaosConfig{Contacts: 32, Lines: 6, Outage: 30 * time.Second, Limit: 175 * time.Second,
		Worker: func(args ...string) *exec.Cmd {
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), asOutcallEnv+"=1")
			return cmd
		},
		HostCommand: hostCommand, HostEnv: hostEnv, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d calls reached the carrier, %d records cut by a fault, %d contacts held back by the cap, in %v",
		rep.Calls, rep.Interrupted, rep.CapRefusals, rep.Took.Round(time.Second))
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if !rep.ok() {
		t.Fatalf("lost %d, double dials %d, cap violations %d, ledger difference %d s, doubled ledger rows %d, webhooks missing %d, lines leased %d, contacts undialled %d; want all 0",
			rep.Lost, rep.DoubleDials, rep.CapViolations, rep.LedgerDiffSeconds, rep.LedgerDoubled, rep.WebhooksMissing, rep.LinesLeased, rep.Undialled)
	}
	// The faults came while calls were up, and the cap had work to do.
	if rep.Interrupted == 0 || rep.CapRefusals == 0 {
		t.Fatalf("%d calls cut by the kill, %d contacts held back by the cap; the run did not test what it names", rep.Interrupted, rep.CapRefusals)
	}
}
