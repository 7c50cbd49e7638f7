// Package jobs runs outcall's background work on River, the PostgreSQL job
// queue: a job is a row inserted in the same transaction as the change that
// calls for it, so the two always agree. Each kind of work is a pair of an
// Args type (with Kind) and a Worker; New registers them all and the
// periodic ones.
//
// Any number of processes may run workers against one database (`outcall
// worker`); River hands each job to one of them. An API-only process
// (`outcall serve --workers=false`) uses an insert-only client. A worker
// process stops by draining its calls (Shutdown), and the line leases of one
// that died are reaped by the others (LeaseTiming).
package jobs
