// Package contacts is whom outcall may call and what it knows of them: a
// tenant's contacts (numbers in E.164, each with the callee's time zone and
// custom attributes), the lists campaigns dial, CSV imports of contacts
// (UTF-8 or GBK, millions of rows), the do-not-call list, consent evidence,
// and each number's audit trail.
//
// A service is built once, from Options, and every operation takes the
// caller's tenants.Principal, whose role decides what it may do:
//
//	svc := contacts.New(contacts.Options{DB: db})
//	list, err := svc.CreateList(ctx, p, "十一月回访", "")
//	c, err := svc.UpsertContact(ctx, p, contacts.ContactInput{Phone: "138 1234 5678", ListIDs: []uuid.UUID{list.ID}})
//	im, err := svc.CreateImport(ctx, p, list.ID, file, contacts.ImportOptions{}) // queues an ImportArgs job
//	n, err := svc.AddDNC(ctx, p, []string{"13812345678"}, "asked by phone")
//	trail, err := svc.Audit(ctx, p, "+8613812345678")
//
// An import is checked when it is uploaded (encoding, header, size) and
// run by a River job (jobs/ calls Service.RunImport): the good rows are
// merged into contacts and the list in one transaction, and the rows that
// failed are reported per row.
//
// Package campaigns reads these tables when it checks a dial, and adds a
// callee who said stop to the do-not-call list with AddDNCTx, inside the
// transaction that closes the call. Every do-not-call and consent change is
// timed by the service's clock and ordered by one sequence with the dial
// attempts, so a number's audit trail shows causes before effects.
package contacts
