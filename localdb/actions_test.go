package localdb_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

// TestOverlay runs every local action and checks what the user sees (the
// overlaid order), the outbox row, and that a platform refusal takes the
// effect back out of the overlay.
func TestOverlay(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		user       streetdesk.User
		from       streetdesk.Status
		review     bool
		do         func(db *localdb.DB, id string) error
		mutation   string
		wantStatus streetdesk.Status
		check      func(t *testing.T, d *streetdesk.OrderDetail)
	}{
		{"accept", caseworker(), streetdesk.StatusDispatched, false,
			func(db *localdb.DB, id string) error { return db.Accept(ctx, id) },
			streetdesk.MutAccept, streetdesk.StatusAccepted, nil},
		{"contact", caseworker(), streetdesk.StatusAccepted, false,
			func(db *localdb.DB, id string) error {
				return db.RecordContact(ctx, id, streetdesk.ContactInput{Method: streetdesk.ContactPhone, Reached: true, Body: "已电话联系市民"})
			},
			streetdesk.MutRecordContact, streetdesk.StatusAccepted,
			func(t *testing.T, d *streetdesk.OrderDetail) {
				if len(d.Notes) != 1 || d.Notes[0].Kind != streetdesk.NoteContact || d.Notes[0].Sync != streetdesk.SyncPending {
					t.Errorf("notes %+v", d.Notes)
				}
				if d.Order.FirstContact.IsZero() {
					t.Errorf("first contact not set in the overlay")
				}
			}},
		{"note", caseworker(), streetdesk.StatusAccepted, false,
			func(db *localdb.DB, id string) error {
				return db.AddNote(ctx, id, "现场勘察：垃圾站压缩机位于3栋北侧")
			},
			streetdesk.MutAddNote, streetdesk.StatusAccepted,
			func(t *testing.T, d *streetdesk.OrderDetail) {
				if len(d.Notes) != 1 || d.Notes[0].Sync != streetdesk.SyncPending || d.Notes[0].AuthorID != caseworker().ID {
					t.Errorf("notes %+v", d.Notes)
				}
			}},
		{"photo", caseworker(), streetdesk.StatusAccepted, false,
			func(db *localdb.DB, id string) error {
				_, err := db.AttachPhoto(ctx, id, photo(1), streetdesk.PhotoBefore, "整改前")
				return err
			},
			streetdesk.MutAttachPhoto, streetdesk.StatusAccepted,
			func(t *testing.T, d *streetdesk.OrderDetail) {
				if len(d.Photos) != 1 || d.Photos[0].Sync != streetdesk.SyncPending || d.Photos[0].Path != "/media/1.jpg" {
					t.Errorf("photos %+v", d.Photos)
				}
			}},
		{"resolve", caseworker(), streetdesk.StatusAccepted, false,
			func(db *localdb.DB, id string) error {
				_, err := db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已协调环卫部门调整作业时间至早上7点以后，市民表示认可。"})
				return err
			},
			streetdesk.MutSubmitResolution, streetdesk.StatusResolved,
			func(t *testing.T, d *streetdesk.OrderDetail) {
				if len(d.Resolutions) != 1 || d.Resolutions[0].Sync != streetdesk.SyncPending || d.Resolutions[0].State != streetdesk.ResolutionSubmitted {
					t.Errorf("resolutions %+v", d.Resolutions)
				}
			}},
		{"resolve with review", caseworker(), streetdesk.StatusAccepted, true,
			func(db *localdb.DB, id string) error {
				_, err := db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已协调环卫部门调整作业时间至早上7点以后，市民表示认可。"})
				return err
			},
			streetdesk.MutSubmitResolution, streetdesk.StatusAwaitingReview, nil},
		{"return", caseworker(), streetdesk.StatusDispatched, false,
			func(db *localdb.DB, id string) error {
				return db.RequestReturn(ctx, id, streetdesk.ReturnNotOurArea, "该地址属莲塘街道")
			},
			streetdesk.MutRequestReturn, streetdesk.StatusReturnRequested,
			func(t *testing.T, d *streetdesk.OrderDetail) {
				if d.Order.ReturnRequest == nil || d.Order.ReturnRequest.Reason != streetdesk.ReturnNotOurArea {
					t.Errorf("return request %+v", d.Order.ReturnRequest)
				}
			}},
		{"extension", caseworker(), streetdesk.StatusAccepted, false,
			func(db *localdb.DB, id string) error {
				return db.RequestExtension(ctx, id, "需协调物业更换设备", t0.Add(9*24*time.Hour))
			},
			streetdesk.MutRequestExtension, streetdesk.StatusExtensionRequested,
			func(t *testing.T, d *streetdesk.OrderDetail) {
				if d.Order.ExtensionRequest == nil {
					t.Errorf("no extension request in the overlay")
				}
			}},
		{"reassign", lead(), streetdesk.StatusAccepted, false,
			func(db *localdb.DB, id string) error { return db.Reassign(ctx, []string{id}, "u-zhao", "片区调整") },
			streetdesk.MutReassign, streetdesk.StatusDispatched,
			func(t *testing.T, d *streetdesk.OrderDetail) {
				if d.Order.AssigneeID != "u-zhao" || d.Order.AssigneeName != "赵六" {
					t.Errorf("assignee %s %s", d.Order.AssigneeID, d.Order.AssigneeName)
				}
			}},
		{"approve", lead(), streetdesk.StatusAwaitingReview, true,
			func(db *localdb.DB, id string) error { return db.ApproveReview(ctx, id) },
			streetdesk.MutApproveReview, streetdesk.StatusResolved, nil},
		{"send back", lead(), streetdesk.StatusAwaitingReview, true,
			func(db *localdb.DB, id string) error { return db.SendBack(ctx, id, "请补充整改后照片") },
			streetdesk.MutSendBack, streetdesk.StatusAccepted,
			func(t *testing.T, d *streetdesk.OrderDetail) {
				if d.Order.ReviewComment != "请补充整改后照片" {
					t.Errorf("review comment %q", d.Order.ReviewComment)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openTest(t, localdb.Options{User: tt.user})
			if err := db.SaveRoster(ctx, streetdesk.Team{ID: "t1", Name: "城管组", ReviewResolutions: tt.review,
				Members: []streetdesk.User{caseworker(), lead(), {ID: "u-zhao", Name: "赵六", Role: streetdesk.RoleCaseworker}}}); err != nil {
				t.Fatal(err)
			}
			o := order("A1", tt.from)
			o.Version, o.Cycle = 7, 1
			pull(t, db, o)
			notified := db.Notify()
			if err := tt.do(db, "A1"); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			select {
			case <-notified:
			default:
				t.Errorf("Notify not signalled after a local commit")
			}
			d := mustOrder(t, db, "A1")
			if d.Order.Status != tt.wantStatus {
				t.Errorf("overlaid status %s, want %s", d.Order.Status, tt.wantStatus)
			}
			if d.Pending != 1 {
				t.Errorf("pending %d, want 1", d.Pending)
			}
			if tt.check != nil {
				tt.check(t, d)
			}
			// The queue shows the same overlay and filters on it.
			page, err := db.Queue(ctx, streetdesk.QueueFilter{Statuses: []streetdesk.Status{tt.wantStatus}})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.Total != 1 || page.Items[0].Order.Status != tt.wantStatus || page.Items[0].Pending != 1 {
				t.Errorf("queue by overlaid status: %+v total %d", ids(page.Items), page.Total)
			}
			ms := pending(t, db)
			if len(ms) != 1 || ms[0].Name != tt.mutation || ms[0].BaseVersion != 7 || ms[0].BaseCycle != 1 || !streetdesk.ValidUUID(ms[0].Key) {
				t.Fatalf("outbox %+v", ms)
			}
			if err := streetdesk.ValidateMutation(&ms[0]); err != nil {
				t.Errorf("outbox row does not validate: %v", err)
			}
			// A refusal takes the effect out of the overlay and lands in the inbox.
			if err := db.RecordPushResults(ctx, []streetdesk.MutationResult{{ID: ms[0].ID, Key: ms[0].Key,
				Status: streetdesk.ResultRejected, Code: streetdesk.CodeReassigned, NewAssignee: "u-zhao"}}); err != nil {
				t.Fatal(err)
			}
			d = mustOrder(t, db, "A1")
			if tt.from != tt.wantStatus && d.Order.Status != tt.from {
				t.Errorf("after rejection status %s, want %s", d.Order.Status, tt.from)
			}
			if len(d.Conflicts) != 1 || d.Conflicts[0].Intent != string(ms[0].Args) || d.Conflicts[0].Explanation.IsZero() {
				t.Errorf("conflicts %+v", d.Conflicts)
			}
			if len(pending(t, db)) != 0 {
				t.Errorf("a rejected row is still offered for push")
			}
		})
	}
}

func TestWriteChecks(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	other := order("B2", streetdesk.StatusAccepted)
	other.AssigneeID = "u-someone"
	pull(t, db, order("A1", streetdesk.StatusDispatched), other, order("C3", streetdesk.StatusAccepted))

	wantCode(t, db.AddNote(ctx, "A1", "not yet accepted"), streetdesk.EINVALID) // lifecycle: dispatched has no addNote
	wantCode(t, db.AddNote(ctx, "B2", "someone else's"), streetdesk.EFORBIDDEN)
	wantCode(t, db.AddNote(ctx, "NOPE", "missing"), streetdesk.ENOTFOUND)
	wantCode(t, db.AddNote(ctx, "C3", "   "), streetdesk.EINVALID)
	wantCode(t, db.ApproveReview(ctx, "C3"), streetdesk.EINVALID)
	wantCode(t, db.Reassign(ctx, []string{"C3"}, "u-zhao", ""), streetdesk.EFORBIDDEN)
	wantCode(t, db.RequestExtension(ctx, "C3", "太忙", t0), streetdesk.EINVALID)                      // not later
	wantCode(t, db.RequestExtension(ctx, "C3", "太忙", t0.Add(80*24*time.Hour)), streetdesk.EINVALID) // too far
	_, err := db.Resolve(ctx, "C3", streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "太短"})
	wantCode(t, err, streetdesk.EINVALID)
	_, err = db.Resolve(ctx, "C3", streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已经处理完毕，现场恢复正常，市民满意。",
		PhotoRefIDs: []string{"0190a5c6-0000-7000-8000-000000000000"}})
	wantCode(t, err, streetdesk.EINVALID)
	bad := photo(1)
	bad.MIME = "image/heic"
	_, err = db.AttachPhoto(ctx, "C3", bad, streetdesk.PhotoBefore, "")
	wantCode(t, err, streetdesk.EINVALID)
	if n := len(pending(t, db)); n != 0 {
		t.Fatalf("%d outbox rows after refused writes", n)
	}
	d := mustOrder(t, db, "C3")
	if len(d.Notes)+len(d.Photos)+len(d.Resolutions) != 0 {
		t.Fatalf("refused writes left local items: %+v", d)
	}
	if !contains(opsToStrings(d.Allowed), string(streetdesk.OpAddNote)) || contains(opsToStrings(d.Allowed), string(streetdesk.OpSubmitForReview)) {
		t.Errorf("allowed %v", d.Allowed)
	}
	if d := mustOrder(t, db, "B2"); len(d.Allowed) != 0 {
		t.Errorf("allowed on someone else's order: %v", d.Allowed)
	}
}

func opsToStrings(ops []streetdesk.Operation) []string {
	var s []string
	for _, o := range ops {
		s = append(s, string(o))
	}
	return s
}

// TestAtomicWrites injects a failure inside every write's transaction and
// checks nothing at all was written.
func TestAtomicWrites(t *testing.T) {
	ctx := context.Background()
	writes := map[string]func(db *localdb.DB) error{
		"accept": func(db *localdb.DB) error { return db.Accept(ctx, "D1") },
		"contact": func(db *localdb.DB) error {
			return db.RecordContact(ctx, "A1", streetdesk.ContactInput{Method: streetdesk.ContactVisit, Body: "上门"})
		},
		"note": func(db *localdb.DB) error { return db.AddNote(ctx, "A1", "备注") },
		"photo": func(db *localdb.DB) error {
			_, err := db.AttachPhoto(ctx, "A1", photo(3), streetdesk.PhotoAfter, "")
			return err
		},
		"resolve": func(db *localdb.DB) error {
			_, err := db.Resolve(ctx, "A1", streetdesk.ResolveInput{Outcome: streetdesk.OutcomePartly, Reply: "已部分解决，剩余问题已向市民解释清楚。"})
			return err
		},
		"return": func(db *localdb.DB) error { return db.RequestReturn(ctx, "D1", streetdesk.ReturnNotOurDuty, "") },
		"extension": func(db *localdb.DB) error {
			return db.RequestExtension(ctx, "A1", "等待配件", t0.Add(8*24*time.Hour))
		},
	}
	for name, write := range writes {
		for _, stage := range []string{"effect", "outbox", "commit"} {
			t.Run(name+"/"+stage, func(t *testing.T) {
				db, _ := openTest(t, localdb.Options{})
				pull(t, db, order("A1", streetdesk.StatusAccepted), order("D1", streetdesk.StatusDispatched))
				before := snapshot(t, db)
				localdb.SetFailHook(db, func(s string) error {
					if s == stage {
						return errInjected
					}
					return nil
				})
				if err := write(db); err == nil {
					t.Fatalf("write succeeded despite failure at %s", stage)
				}
				localdb.SetFailHook(db, nil)
				if after := snapshot(t, db); after != before {
					t.Fatalf("failed write changed the store:\nbefore %s\nafter  %s", before, after)
				}
				if err := write(db); err != nil {
					t.Fatalf("write after the failure: %v", err)
				}
				if snapshot(t, db) == before {
					t.Fatalf("write changed nothing")
				}
			})
		}
	}
}

// snapshot summarises what the user and the engine can see.
func snapshot(t *testing.T, db *localdb.DB) string {
	t.Helper()
	ctx := context.Background()
	var out []any
	for _, id := range []string{"A1", "D1"} {
		d := mustOrder(t, db, id)
		out = append(out, d.Order.Status, len(d.Notes), len(d.Photos), len(d.Resolutions), d.Pending)
	}
	out = append(out, len(pending(t, db)))
	ups, err := db.PendingUploads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, len(ups))
	b, _ := json.Marshal(out)
	return string(b)
}

func TestReassignMany(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{User: lead()})
	pull(t, db, order("A1", streetdesk.StatusAccepted), order("A2", streetdesk.StatusDispatched), order("A3", streetdesk.StatusClosed))
	// One order that cannot be reassigned fails the whole batch.
	wantCode(t, db.Reassign(ctx, []string{"A1", "A2", "A3"}, "u-zhao", "调整"), streetdesk.EINVALID)
	if n := len(pending(t, db)); n != 0 {
		t.Fatalf("partial batch: %d rows", n)
	}
	if err := db.Reassign(ctx, []string{"A1", "A2"}, "u-zhao", "调整"); err != nil {
		t.Fatal(err)
	}
	ms := pending(t, db)
	if len(ms) != 2 || ms[0].OrderID != "A1" || ms[1].OrderID != "A2" || ms[0].Name != streetdesk.MutReassign {
		t.Fatalf("outbox %+v", ms)
	}
	page, err := db.Queue(ctx, streetdesk.QueueFilter{AssigneeID: "u-zhao"})
	if err != nil || page.Total != 2 {
		t.Fatalf("queue by new assignee: %v %v", page.Total, err)
	}
}

// TestAttachSamePhotoTwice: the same photo (by content) on one order is
// refused with its own error and nothing is written; on another order it
// is attached (one blob, two references).
func TestAttachSamePhotoTwice(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("P1", streetdesk.StatusAccepted), order("P2", streetdesk.StatusAccepted))
	if _, err := db.AttachPhoto(ctx, "P1", photo(1), streetdesk.PhotoBefore, ""); err != nil {
		t.Fatal(err)
	}
	again := photo(1)
	again.Path = "/media/another-name.jpg" // the same bytes under another name
	_, err := db.AttachPhoto(ctx, "P1", again, streetdesk.PhotoAfter, "整改后")
	wantCode(t, err, streetdesk.ECONFLICT)
	if streetdesk.ErrorMessage(err) != streetdesk.ErrorMessage(streetdesk.PhotoAlreadyAttached()) {
		t.Errorf("error %v", err)
	}
	if d := mustOrder(t, db, "P1"); len(d.Photos) != 1 || d.Pending != 1 {
		t.Errorf("P1 has %d photos, %d pending", len(d.Photos), d.Pending)
	}
	if _, err := db.AttachPhoto(ctx, "P2", photo(1), streetdesk.PhotoBefore, ""); err != nil {
		t.Fatalf("the same photo on another order: %v", err)
	}
}
