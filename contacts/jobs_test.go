package contacts_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/contacts"
)

// A service built without the process's River client queues its jobs
// through an insert-only one of its own, in the caller's transaction; one
// given a client keeps it.
func TestAServiceWithoutAJobClientQueuesThroughOneOfItsOwn(t *testing.T) {
	w := newWorld(t)
	if got := contacts.JobsOr[contacts.JobInserter](nil, nil); got != nil {
		t.Fatalf("without a database: %v, want none", got)
	}
	own := contacts.JobsOr[contacts.JobInserter](nil, w.db)
	if own == nil {
		t.Fatal("no insert-only client")
	}
	if got := contacts.JobsOr(own, nil); got != own {
		t.Fatal("a given client was replaced")
	}
	args := contacts.ImportArgs{TenantID: w.p.TenantID, ImportID: uuid.New()}
	var queued int
	if err := pgx.BeginFunc(w.ctx, w.db.Pool(), func(tx pgx.Tx) error {
		if _, err := own.InsertTx(w.ctx, tx, args, nil); err != nil {
			return err
		}
		return tx.QueryRow(w.ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'import_id' = $2`, args.Kind(), args.ImportID.String()).Scan(&queued)
	}); err != nil {
		t.Fatal(err)
	}
	if queued != 1 {
		t.Fatalf("%d jobs queued in the transaction, want 1", queued)
	}
}
