package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// The action logs the desks push (streetdesk.ChainEntry with every push to
// a platform listing FeatureAuditChain). The platform keeps each entry as
// it came, per pushing client, and checks it on arrival: its own hashes,
// its link to the entries it holds (a gap; a fork — a second branch after
// the same entry, which a restored backup makes legitimately and records
// in a fork entry), and that it records exactly the mutation of its key as
// the platform received it. It flags what is wrong and never refuses: the
// push goes on, the entries are acknowledged, the centre sees the flags
// (GET /v1/centre/audit, the order's view) and `platformd audit verify`
// checks everything stored again.

// platformFeatures is the JSON list of protocol features every pull page
// announces (streetdesk.PullResponse.Features).
const platformFeatures = `["` + streetdesk.FeatureAuditChain + `","` + streetdesk.FeatureEvidenceChecks + `","` + streetdesk.FeaturePushBatch500 + `","` +
	streetdesk.FeaturePushBatch1000 + `"]`

// digest is what an entry and a mutation are compared by: the SHA-256 of
// the canonical action without its evidence checks, and of the checks.
// The checks are apart because a push may carry a resolution without them
// (to a platform that did not list the feature yet).
type digest struct{ action, checks string }

func digestOf(a streetdesk.ChainAction) (digest, error) {
	checks := a.EvidenceChecks
	a.EvidenceChecks = nil
	b, err := a.Canonical()
	if err != nil {
		return digest{}, err
	}
	d := digest{action: streetdesk.SHA256Hex(b)}
	if len(checks) > 0 {
		if b, err = streetdesk.CanonicalJSON(checks); err != nil {
			return digest{}, err
		}
		d.checks = streetdesk.SHA256Hex(b)
	}
	return d, nil
}

// differs reports whether an entry's digest e disagrees with the
// mutation's m (checks compared only when both carried some).
func (e digest) differs(m digest) bool {
	return e.action != m.action || e.checks != "" && m.checks != "" && e.checks != m.checks
}

// entryFaults checks one entry alone: its fields and both hashes.
func entryFaults(e streetdesk.ChainEntry) []streetdesk.ChainProblem {
	v := streetdesk.ChainVerifier{FromMiddle: true, RequireBodies: true}
	v.Add(e)
	ps := v.Report().Problems
	if e.Seq < 1 {
		ps = append(ps, streetdesk.ChainProblem{Seq: e.Seq, Code: streetdesk.ChainBadField, Message: "entry numbers start at 1"})
	}
	return ps
}

// rowOf files an entry with what its body says (order, key, fork) and
// returns the action an action entry's body holds (nil for other
// entries and bodies that are no action), decoded once.
func rowOf(clientID, userID string, e streetdesk.ChainEntry, at time.Time) (store.ChainRow, *streetdesk.ChainAction) {
	r := store.ChainRow{ClientID: clientID, UserID: userID, Entry: e, ReceivedAt: at}
	var act *streetdesk.ChainAction
	switch e.Kind {
	case streetdesk.ChainKindAction:
		if a, err := e.Action(); err == nil {
			r.OrderID, r.MutationKey = a.OrderID, a.Key
			act = a
		}
	case streetdesk.ChainKindFork:
		var f streetdesk.ChainFork
		if json.Unmarshal(e.Body, &f) == nil {
			r.ForkOf = f.PreviousClientID
		}
	}
	return r, act
}

// chainPush is one push's part of the action log, checked and stored in
// the push's transaction.
type chainPush struct {
	t        *tx
	u        *streetdesk.User
	clientID string
	// bySeq holds the hashes of this client's entries around the push's
	// numbers (stored and arrived), have the client's hashes.
	bySeq map[int64][]string
	have  map[string]bool
	// The digests of the fresh mutations and of the arrived action
	// entries, by key; matched: compared with each other.
	muts, entries map[string]digest
	matched       map[string]bool
	rows          []store.ChainRow
	flags         []streetdesk.AuditFlag
}

func (c *chainPush) flag(e *streetdesk.ChainEntry, key, order string, code streetdesk.ChainProblemCode, msg string) *streetdesk.AuditFlag {
	c.flags = append(c.flags, streetdesk.AuditFlag{Code: code, ClientID: c.clientID, UserID: c.u.ID, Seq: e.Seq, Hash: e.Hash,
		OrderID: order, MutationKey: key, Message: msg, At: c.t.now})
	return &c.flags[len(c.flags)-1]
}

// storeChain checks and keeps a push's entries, and the digests of the
// mutations it processed for the first time (fresh), comparing each entry
// with its mutation whichever came first. It returns the acknowledgement.
// req is the push (its client, entries and mutations), fresh the mutations
// of it the push applied or found by key, pre the work prepareChain did for
// req (nil: done here).
func (t *tx) storeChain(ctx context.Context, u *streetdesk.User, req *streetdesk.PushRequest, fresh []streetdesk.Mutation, pre *chainPrep) (*streetdesk.ChainAck, error) {
	clientID, entries := req.ClientID, req.Chain
	if len(entries) == 0 && len(fresh) == 0 {
		return nil, nil
	}
	c := &chainPush{t: t, u: u, clientID: clientID, bySeq: map[int64][]string{}, have: map[string]bool{},
		muts: map[string]digest{}, entries: map[string]digest{}, matched: map[string]bool{}}
	pre = pre.wait()
	acts, err := c.mutationDigests(req.Mutations, fresh, pre)
	if err != nil {
		return nil, err
	}
	if err := c.load(ctx, entries); err != nil {
		return nil, err
	}
	for i := range entries {
		var ep entryPrep
		if pre != nil {
			ep = pre.entries[i]
		} else {
			ep = prepareEntry(clientID, u.ID, &entries[i])
		}
		if err := c.add(ctx, &entries[i], &ep); err != nil {
			return nil, err
		}
	}
	if err := c.matchStoredMutations(ctx); err != nil {
		return nil, err
	}
	if err := c.matchStoredEntries(); err != nil {
		return nil, err
	}
	if err := t.InsertAuditActions(ctx, acts); err != nil {
		return nil, err
	}
	if err := t.InsertChainEntries(ctx, c.rows); err != nil {
		return nil, err
	}
	if err := t.InsertAuditFlags(ctx, c.flags); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	last := entries[len(entries)-1]
	return &streetdesk.ChainAck{Seq: last.Seq, Hash: last.Hash}, nil
}

const msgDiffers = "the entry differs from the mutation it records, as the platform received it"

// mutationDigests digests the fresh mutations (the first of each key),
// taking them from pre when it has them (all holds the push's mutations,
// which pre's digests follow; fresh is a run of them).
func (c *chainPush) mutationDigests(all, fresh []streetdesk.Mutation, pre *chainPrep) ([]store.AuditAction, error) {
	acts := make([]store.AuditAction, 0, len(fresh))
	j := 0 // where fresh's mutation is in all
	for i := range fresh {
		m := &fresh[i]
		if _, dup := c.muts[m.Key]; dup {
			continue
		}
		var d digest
		var err error
		for j < len(all) && all[j].ID != m.ID {
			j++
		}
		if pre != nil && j < len(all) {
			d, err = pre.muts[j].d, pre.muts[j].err
		} else {
			d, err = digestOf(streetdesk.ChainActionOf(m, c.u.ID))
		}
		if err != nil {
			return nil, fmt.Errorf("mutation digest: %w", err)
		}
		c.muts[m.Key] = d
		acts = append(acts, store.AuditAction{Key: m.Key, ClientID: c.clientID, UserID: c.u.ID, OrderID: m.OrderID, MutationID: m.ID,
			ActionHash: d.action, ChecksHash: d.checks, At: c.t.now})
	}
	return acts, nil
}

// add checks one arrived entry and keeps it (a resent one is kept already).
func (c *chainPush) add(ctx context.Context, e *streetdesk.ChainEntry, pre *entryPrep) error {
	if c.have[e.Hash] {
		return nil
	}
	row, act, faults := pre.row, pre.act, pre.faults
	row.ReceivedAt = c.t.now
	for _, p := range faults {
		c.flag(e, row.MutationKey, row.OrderID, p.Code, p.Message)
	}
	if len(faults) == 0 {
		if err := c.link(ctx, e, row.MutationKey, row.OrderID); err != nil {
			return err
		}
		if act != nil && row.MutationKey != "" {
			d, err := pre.digest.d, pre.digest.err
			if err != nil {
				return err
			}
			c.entries[row.MutationKey] = d
			if m, ok := c.muts[row.MutationKey]; ok {
				c.matched[row.MutationKey] = true
				if d.differs(m) {
					c.flag(e, row.MutationKey, row.OrderID, streetdesk.ChainMismatch, msgDiffers)
				}
			}
		}
	}
	c.have[e.Hash] = true
	c.bySeq[e.Seq] = append(c.bySeq[e.Seq], e.Hash)
	c.rows = append(c.rows, row)
	return nil
}

// matchStoredMutations compares the arrived entries whose mutation came in
// an earlier push.
func (c *chainPush) matchStoredMutations(ctx context.Context) error {
	var keys []string
	for k := range c.entries {
		if !c.matched[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	stored, err := c.t.AuditActions(ctx, keys)
	if err != nil {
		return err
	}
	for _, r := range c.rows {
		if m, ok := stored[r.MutationKey]; ok && r.MutationKey != "" && !c.matched[r.MutationKey] {
			if c.entries[r.MutationKey].differs(digest{m.ActionHash, m.ChecksHash}) {
				e := r.Entry
				c.flag(&e, r.MutationKey, r.OrderID, streetdesk.ChainMismatch, msgDiffers)
			}
		}
	}
	return nil
}

// matchStoredEntries compares the fresh mutations whose entry came in an
// earlier push (read ahead with the push's keys: tx.chainByKey).
func (c *chainPush) matchStoredEntries() error {
	done := map[string]bool{}
	for _, r := range c.t.chainByKey {
		if _, fresh := c.muts[r.MutationKey]; !fresh {
			continue
		}
		if _, arrived := c.entries[r.MutationKey]; arrived {
			continue
		}
		if done[r.MutationKey] || len(entryFaults(r.Entry)) > 0 {
			continue
		}
		done[r.MutationKey] = true
		a, err := r.Entry.Action()
		if err != nil {
			continue
		}
		d, err := digestOf(*a)
		if err != nil {
			return err
		}
		if d.differs(c.muts[r.MutationKey]) {
			e := r.Entry
			f := c.flag(&e, r.MutationKey, r.OrderID, streetdesk.ChainMismatch, "the mutation differs from the entry that recorded it")
			f.ClientID, f.UserID = r.ClientID, r.UserID
		}
	}
	return nil
}

// load reads the client's stored entries around the push's numbers.
func (c *chainPush) load(ctx context.Context, entries []streetdesk.ChainEntry) error {
	if len(entries) == 0 {
		return nil
	}
	lo, hi := entries[0].Seq, entries[0].Seq
	for _, e := range entries {
		lo, hi = min(lo, e.Seq), max(hi, e.Seq)
	}
	rows, err := c.t.ChainEntries(ctx, store.ChainQuery{ClientID: c.clientID, MinSeq: max(lo-1, 1), MaxSeq: max(hi, 1)})
	if err != nil {
		return err
	}
	for _, r := range rows {
		c.have[r.Entry.Hash] = true
		c.bySeq[r.Entry.Seq] = append(c.bySeq[r.Entry.Seq], r.Entry.Hash)
	}
	return nil
}

// link checks where a new entry attaches: after the client's previous
// entry, at the start of a log, or after another client's entry (the same
// desk under a new client id); a second entry with the same number is a
// fork.
func (c *chainPush) link(ctx context.Context, e *streetdesk.ChainEntry, key, order string) error {
	if len(c.bySeq[e.Seq]) > 0 {
		f := c.flag(e, key, order, streetdesk.ChainForked, fmt.Sprintf("a second entry %d after entry %d: the log forked", e.Seq, e.Seq-1))
		f.ForkClientID, f.ForkSeq, f.ForkHash = c.clientID, e.Seq-1, e.Prev
	}
	switch {
	case e.Seq == 1:
		if e.Prev != streetdesk.ChainGenesis {
			c.flag(e, key, order, streetdesk.ChainBadLink, "entry 1 does not start a log")
		}
		return nil
	case len(c.bySeq[e.Seq-1]) > 0:
		if !slices.Contains(c.bySeq[e.Seq-1], e.Prev) {
			c.flag(e, key, order, streetdesk.ChainBadLink, fmt.Sprintf("does not follow the entry %d the platform holds", e.Seq-1))
		}
		return nil
	}
	// The client holds nothing before it: it goes on from another client
	// id of the same desk (after a fork of the client id), or entries are
	// missing.
	// The entry it follows has the number before it (its hash covers the
	// number), which the index by user and number serves.
	prev, err := c.t.ChainEntries(ctx, store.ChainQuery{UserID: c.u.ID, Hash: e.Prev, MinSeq: e.Seq - 1, MaxSeq: e.Seq - 1})
	if err != nil {
		return err
	}
	i := slices.IndexFunc(prev, func(p store.ChainRow) bool { return p.Entry.Seq == e.Seq-1 && p.ClientID != c.clientID })
	if i < 0 {
		c.flag(e, key, order, streetdesk.ChainGap, fmt.Sprintf("entries before %d never reached the platform", e.Seq))
		return nil
	}
	other := prev[i].ClientID
	next, err := c.t.ChainEntries(ctx, store.ChainQuery{ClientID: other, MinSeq: e.Seq, MaxSeq: e.Seq})
	if err != nil {
		return err
	}
	if slices.ContainsFunc(next, func(n store.ChainRow) bool { return n.Entry.Hash != e.Hash }) {
		f := c.flag(e, key, order, streetdesk.ChainForked,
			fmt.Sprintf("client %s went on differently after entry %d: the log forked", other, e.Seq-1))
		f.ForkClientID, f.ForkSeq, f.ForkHash = other, e.Seq-1, e.Prev
	}
	return nil
}

// orderFlags lists the action-log flags about an order (its entries', and
// the chain flags of the clients that logged actions on it).
func (s *Server) orderFlags(ctx context.Context, r store.Reader, orderID string) ([]streetdesk.AuditFlag, error) {
	fs, err := r.AuditFlags(ctx, store.AuditFlagQuery{OrderID: orderID, Limit: maxFlagPage})
	if fs == nil {
		fs = []streetdesk.AuditFlag{}
	}
	return fs, err
}

const (
	defaultFlagPage = 100
	maxFlagPage     = 1000
)

// handleAuditFlags is GET /v1/centre/audit?client=&order=&after=&limit=:
// what the platform flagged in the action logs, oldest first.
func (s *Server) handleAuditFlags(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	q := r.URL.Query()
	f := store.AuditFlagQuery{ClientID: q.Get("client"), OrderID: q.Get("order"), Limit: defaultFlagPage}
	if f.ClientID != "" && !streetdesk.ValidUUID(f.ClientID) {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "client must be a UUID")
		return
	}
	if f.OrderID != "" && !streetdesk.ValidOrderID(f.OrderID) {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "bad order id")
		return
	}
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "after must be a flag id")
			return
		}
		f.AfterID = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFlagPage {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, fmt.Sprintf("limit must be 1–%d", maxFlagPage))
			return
		}
		f.Limit = n
	}
	fs, err := s.db.AuditFlags(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := streetdesk.AuditFlagList{Flags: fs}
	if out.Flags == nil {
		out.Flags = []streetdesk.AuditFlag{}
	}
	if len(fs) == f.Limit {
		out.NextAfter = fs[len(fs)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}
