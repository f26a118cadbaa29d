package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
)

// action is what one local write needs once the order is loaded and checked.
type action struct {
	tx    *sql.Tx
	q     querier              // tx with cached statements
	order streetdesk.WorkOrder // overlaid
	base  *shadow
	user  streetdesk.User
	now   time.Time
	team  *streetdesk.Team
	key   string // the outbox row's key, also stored on the local item
	// evidence are the photo checks a resolution sends (action log body).
	evidence []streetdesk.EvidenceCheck
}

// act runs one local action on order id: it checks the lifecycle for the
// signed-in user against the overlaid order, lets fn write its local effect
// and returns the mutation, which is validated with streetdesk.DecodeArgs and
// written to the outbox in the same transaction.
func (db *DB) act(ctx context.Context, tx *sql.Tx, id string, op streetdesk.Operation,
	fn func(a *action) (name string, args any, err error)) error {
	if !streetdesk.ValidOrderID(id) {
		return streetdesk.Errorf(streetdesk.EINVALID, "bad work order id %q", id)
	}
	user := db.User()
	q := cachedTx{db, tx}
	s, err := loadShadow(ctx, q, id)
	if err != nil {
		return err
	}
	if s.revoked() {
		return streetdesk.OrderErr(streetdesk.EFORBIDDEN, streetdesk.MsgErrOrderRevoked, id)
	}
	ins, err := loadIntents(ctx, q, id)
	if err != nil {
		return err
	}
	team, err := loadTeam(ctx, q)
	if err != nil {
		return err
	}
	by := db.overlayActor()
	w := overlayOrder(s.Order, ins, by, team)
	if op == streetdesk.OpSubmitResolution {
		op = streetdesk.SubmitOp(team != nil && team.ReviewResolutions)
	}
	if _, err := streetdesk.Apply(w.Status, op, user.Role); err != nil {
		return err
	}
	if err := mayTouch(user, &w); err != nil {
		return err
	}
	a := &action{tx: tx, q: q, order: w, base: s, user: user, now: db.now(), team: team, key: newID()}
	name, args, err := fn(a)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	if _, err := streetdesk.DecodeArgs(name, raw); err != nil {
		return err
	}
	if err := db.hook("effect"); err != nil {
		return err
	}
	if err := db.enqueue(ctx, q, a.key, name, s, raw, a.now); err != nil {
		return err
	}
	if err := db.hook("outbox"); err != nil {
		return err
	}
	if err := db.logAction(ctx, a, name, raw); err != nil {
		return err
	}
	if err := db.hook("audit"); err != nil {
		return err
	}
	// The overlay with the new intent, from what is already loaded.
	ins = append(ins, intent{Key: a.key, Name: name, OrderID: id, Args: raw, State: statePending, CreatedAt: a.now})
	return writeOverlay(ctx, q, overlayOrder(s.Order, ins, by, team))
}

// mayTouch enforces ownership: a caseworker acts only on orders assigned to
// them, a lead only on their team's.
func mayTouch(u streetdesk.User, w *streetdesk.WorkOrder) error {
	switch u.Role {
	case streetdesk.RoleCaseworker:
		if w.AssigneeID != u.ID {
			return streetdesk.OrderErr(streetdesk.EFORBIDDEN, streetdesk.MsgErrNotAssigned, w.ID)
		}
	case streetdesk.RoleLead:
		if u.TeamID != "" && w.TeamID != "" && w.TeamID != u.TeamID {
			return streetdesk.OrderErr(streetdesk.EFORBIDDEN, streetdesk.MsgErrNotYourTeam, w.ID)
		}
	default:
		return streetdesk.Errorf(streetdesk.EFORBIDDEN, "role %s may not act on orders here", u.Role)
	}
	return nil
}

func (db *DB) enqueue(ctx context.Context, tx querier, key, name string, s *shadow, raw []byte, now time.Time) error {
	cid, err := clientID(ctx, tx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox(key, client_id, name, order_id, base_version, base_cycle, args, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, key, cid, name, s.Order.ID, s.Order.Version, s.Order.Cycle, string(raw), now.UnixMilli())
	if err != nil {
		return translate(err, "outbox")
	}
	return nil
}

func (db *DB) writeAction(ctx context.Context, id string, op streetdesk.Operation, fn func(a *action) (string, any, error)) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		return db.act(ctx, tx, id, op, fn)
	})
}

// Accept signs the order in (签收).
func (db *DB) Accept(ctx context.Context, id string) error {
	return db.writeAction(ctx, id, streetdesk.OpAccept, func(a *action) (string, any, error) {
		return streetdesk.MutAccept, streetdesk.AcceptArgs{}, nil
	})
}

// RecordContact records a call or visit with the citizen.
func (db *DB) RecordContact(ctx context.Context, id string, in streetdesk.ContactInput) error {
	return db.writeAction(ctx, id, streetdesk.OpRecordContact, func(a *action) (string, any, error) {
		args := streetdesk.RecordContactArgs{NoteID: newID(), Method: in.Method, Reached: in.Reached, Body: in.Body}
		if err := validate(streetdesk.MutRecordContact, args); err != nil {
			return "", nil, err
		}
		n := streetdesk.Note{ID: args.NoteID, WorkOrderID: id, Kind: streetdesk.NoteContact, Body: in.Body,
			Method: in.Method, Reached: in.Reached, AuthorID: a.user.ID, AuthorName: a.user.Name,
			Cycle: a.order.Cycle, CreatedAt: a.now, AuthorWasAssignee: true}
		return streetdesk.MutRecordContact, args, db.insertLocalNote(ctx, a.q, n, a.key)
	})
}

// AddNote adds a survey note (现场勘察).
func (db *DB) AddNote(ctx context.Context, id, body string) error {
	return db.writeAction(ctx, id, streetdesk.OpAddNote, func(a *action) (string, any, error) {
		args := streetdesk.AddNoteArgs{NoteID: newID(), Body: body}
		if err := validate(streetdesk.MutAddNote, args); err != nil {
			return "", nil, err
		}
		n := streetdesk.Note{ID: args.NoteID, WorkOrderID: id, Kind: streetdesk.NoteSurvey, Body: body,
			AuthorID: a.user.ID, AuthorName: a.user.Name, Cycle: a.order.Cycle, CreatedAt: a.now, AuthorWasAssignee: true}
		return streetdesk.MutAddNote, args, db.insertLocalNote(ctx, a.q, n, a.key)
	})
}

// validate checks args exactly as the platform will, before anything is written.
func validate(name string, args any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	_, err = streetdesk.DecodeArgs(name, raw)
	return err
}

func (db *DB) insertLocalNote(ctx context.Context, tx querier, n streetdesk.Note, key string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO notes(id, order_id, kind, body, method, reached, author_id, author_name, cycle, created_at, origin, mutation_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'local', ?)`,
		n.ID, n.WorkOrderID, string(n.Kind), n.Body, string(n.Method), n.Reached, n.AuthorID, n.AuthorName, n.Cycle, n.CreatedAt.UnixMilli(), key)
	if err != nil {
		return translate(err, "note")
	}
	return db.queueIndex(ctx, tx, n.WorkOrderID)
}

// AttachPhoto attaches an already imported (content-addressed) photo: the
// blob row (if new), the photo reference and the outbox row in one
// transaction.
func (db *DB) AttachPhoto(ctx context.Context, id string, p streetdesk.ImportedPhoto, tag streetdesk.PhotoTag, caption string) (streetdesk.PhotoRef, error) {
	var ref streetdesk.PhotoRef
	err := db.writeAction(ctx, id, streetdesk.OpAttachPhoto, func(a *action) (string, any, error) {
		args := streetdesk.AttachPhotoArgs{PhotoRefID: newID(), SHA256: p.SHA256, Size: p.Size, MIME: p.MIME,
			Tag: tag, Caption: caption, TakenAt: p.TakenAt}
		if p.HasGPS {
			args.Lat, args.Lng = p.Lat, p.Lng
		}
		if err := validate(streetdesk.MutAttachPhoto, args); err != nil {
			return "", nil, err
		}
		var n, same int
		if err := a.tx.QueryRowContext(ctx, "SELECT count(*), count(*) FILTER (WHERE sha256 = ?) FROM photo_refs WHERE order_id = ?",
			p.SHA256, id).Scan(&n, &same); err != nil {
			return "", nil, err
		}
		if same > 0 {
			return "", nil, streetdesk.PhotoAlreadyAttached()
		}
		if n >= streetdesk.MaxPhotosPerOrder {
			return "", nil, streetdesk.Errorf(streetdesk.EINVALID, "an order holds at most %d photos", streetdesk.MaxPhotosPerOrder)
		}
		if _, err := a.tx.ExecContext(ctx, `INSERT INTO blobs(sha256, path, size, mime, width, height, state, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'local', ?)
			ON CONFLICT(sha256) DO UPDATE SET path = excluded.path, state = CASE WHEN blobs.state = 'remote' THEN 'verified' ELSE blobs.state END
			WHERE blobs.path = ''`,
			p.SHA256, p.Path, p.Size, p.MIME, p.Width, p.Height, a.now.UnixMilli()); err != nil {
			return "", nil, translate(err, "blob")
		}
		ref = streetdesk.PhotoRef{ID: args.PhotoRefID, WorkOrderID: id, SHA256: p.SHA256, Size: p.Size, MIME: p.MIME,
			Tag: tag, Caption: caption, TakenAt: p.TakenAt, Lat: args.Lat, Lng: args.Lng, AuthorID: a.user.ID,
			Cycle: a.order.Cycle, CreatedAt: a.now}
		if _, err := a.tx.ExecContext(ctx, `INSERT INTO photo_refs(id, order_id, sha256, size, mime, tag, caption, taken_at, lat, lng, author_id, cycle, created_at, origin, mutation_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'local', ?)`,
			ref.ID, id, ref.SHA256, ref.Size, ref.MIME, string(tag), caption, ms(ref.TakenAt), ref.Lat, ref.Lng, ref.AuthorID, ref.Cycle, a.now.UnixMilli(), a.key); err != nil {
			return "", nil, translate(err, "photo")
		}
		if err := db.insertPhotoExif(ctx, a.q, ref.ID, p); err != nil {
			return "", nil, err
		}
		return streetdesk.MutAttachPhoto, args, nil
	})
	if err != nil {
		return streetdesk.PhotoRef{}, err
	}
	return ref, nil
}

// Resolve submits the resolution (办结); with review on, it waits for the lead.
func (db *DB) Resolve(ctx context.Context, id string, in streetdesk.ResolveInput) (streetdesk.Resolution, error) {
	var res streetdesk.Resolution
	err := db.writeAction(ctx, id, streetdesk.OpSubmitResolution, func(a *action) (string, any, error) {
		ids := in.PhotoRefIDs
		if ids == nil {
			ids = []string{}
		}
		args := streetdesk.SubmitResolutionArgs{ResolutionID: newID(), Outcome: in.Outcome, Reply: in.Reply, PhotoRefIDs: ids,
			PublishPhotoRefIDs: in.PublishPhotoRefIDs}
		if err := validate(streetdesk.MutSubmitResolution, args); err != nil {
			return "", nil, err
		}
		if err := streetdesk.ValidateEvidenceChecks(in.Evidence, ids); err != nil {
			return "", nil, err
		}
		a.evidence = in.Evidence
		for _, pid := range ids {
			var sha string
			err := a.tx.QueryRowContext(ctx, "SELECT sha256 FROM photo_refs WHERE id = ? AND order_id = ?", pid, id).Scan(&sha)
			if err == sql.ErrNoRows {
				return "", nil, streetdesk.Errorf(streetdesk.EINVALID, "photo %s is not attached to this order", pid)
			}
			if err != nil {
				return "", nil, err
			}
			// Resolution photos upload first.
			if _, err := a.tx.ExecContext(ctx, "UPDATE blobs SET priority = 1 WHERE sha256 = ?", sha); err != nil {
				return "", nil, err
			}
		}
		state := streetdesk.ResolutionSubmitted
		if a.team != nil && a.team.ReviewResolutions {
			state = streetdesk.ResolutionReview
		}
		res = streetdesk.Resolution{ID: args.ResolutionID, WorkOrderID: id, Cycle: a.order.Cycle, Outcome: in.Outcome,
			Reply: in.Reply, PhotoRefIDs: ids, PublishPhotoRefIDs: in.PublishPhotoRefIDs, State: state, AuthorID: a.user.ID, CreatedAt: a.now}
		pj, _ := json.Marshal(ids)
		if _, err := a.tx.ExecContext(ctx, `INSERT INTO resolutions(id, order_id, cycle, outcome, reply, photo_ref_ids, state, author_id, created_at, origin, mutation_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'local', ?)`,
			res.ID, id, res.Cycle, string(res.Outcome), res.Reply, string(pj), string(state), res.AuthorID, a.now.UnixMilli(), a.key); err != nil {
			return "", nil, translate(err, "resolution")
		}
		if err := db.insertResolutionEvidence(ctx, a.q, res.ID, a.key, in.Evidence); err != nil {
			return "", nil, err
		}
		res.EvidenceChecks = in.Evidence
		return streetdesk.MutSubmitResolution, args, nil
	})
	if err != nil {
		return streetdesk.Resolution{}, err
	}
	return res, nil
}

// RequestReturn asks the centre to take a misrouted order back (申请退单).
func (db *DB) RequestReturn(ctx context.Context, id string, reason streetdesk.ReturnReason, text string) error {
	return db.writeAction(ctx, id, streetdesk.OpRequestReturn, func(a *action) (string, any, error) {
		return streetdesk.MutRequestReturn, streetdesk.RequestReturnArgs{Reason: reason, Text: text}, nil
	})
}

// RequestExtension asks for a later resolve-by (申请延期), checked against
// the working-day calendar.
func (db *DB) RequestExtension(ctx context.Context, id string, reason string, newResolveBy time.Time) error {
	return db.writeAction(ctx, id, streetdesk.OpRequestExtension, func(a *action) (string, any, error) {
		if err := db.cal.CheckExtension(a.order.Deadlines.ResolveBy, newResolveBy, a.now); err != nil {
			return "", nil, err
		}
		return streetdesk.MutRequestExtension, streetdesk.RequestExtensionArgs{Reason: reason, NewResolveBy: newResolveBy.UTC()}, nil
	})
}

// Reassign moves orders to another team member (leads): one outbox row per
// order, all in one transaction.
func (db *DB) Reassign(ctx context.Context, ids []string, to, reason string) error {
	if len(ids) == 0 {
		return streetdesk.Errorf(streetdesk.EINVALID, "reassign: no orders chosen")
	}
	to = strings.TrimSpace(to)
	return db.tx(ctx, func(tx *sql.Tx) error {
		team, err := loadTeam(ctx, tx)
		if err != nil {
			return err
		}
		if team != nil && len(team.Members) > 0 && memberName(team, to) == to {
			found := false
			for _, m := range team.Members {
				if m.ID == to {
					found = true
				}
			}
			if !found {
				return streetdesk.Errorf(streetdesk.EINVALID, "reassign: %s is not a member of the team", to)
			}
		}
		for _, id := range ids {
			err := db.act(ctx, tx, id, streetdesk.OpReassign, func(a *action) (string, any, error) {
				if a.order.AssigneeID == to {
					return "", nil, streetdesk.OrderErr(streetdesk.EINVALID, streetdesk.MsgErrAlreadyAssignee, id)
				}
				return streetdesk.MutReassign, streetdesk.ReassignArgs{To: to, Reason: reason}, nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ApproveReview signs a resolution off (签发, leads).
func (db *DB) ApproveReview(ctx context.Context, id string) error {
	return db.writeAction(ctx, id, streetdesk.OpApproveReview, func(a *action) (string, any, error) {
		return streetdesk.MutApproveReview, streetdesk.ApproveReviewArgs{}, nil
	})
}

// SendBack returns a resolution to the caseworker with a comment (leads).
func (db *DB) SendBack(ctx context.Context, id, comment string) error {
	return db.writeAction(ctx, id, streetdesk.OpSendBack, func(a *action) (string, any, error) {
		return streetdesk.MutSendBack, streetdesk.SendBackArgs{Comment: comment}, nil
	})
}

// DismissConflict hides a conflict from the inbox (its content is kept).
func (db *DB) DismissConflict(ctx context.Context, id int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE conflicts SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL", db.now().UnixMilli(), id)
		if err != nil {
			return translate(err, "dismiss conflict")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var x int
			if err := tx.QueryRowContext(ctx, "SELECT 1 FROM conflicts WHERE id = ?", id).Scan(&x); err != nil {
				return translate(err, fmt.Sprintf("conflict %d", id))
			}
		}
		// Acknowledged: an order that left this user goes with it unless
		// more of the user's work waits on it.
		var orderID string
		if err := tx.QueryRowContext(ctx, "SELECT order_id FROM conflicts WHERE id = ?", id).Scan(&orderID); err != nil {
			return translate(err, "dismiss conflict")
		}
		return db.dropRevoked(ctx, tx, map[string]bool{orderID: true}, nil)
	})
}
