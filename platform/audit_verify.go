package platform

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// AuditQuery selects the action logs VerifyChains checks: one client's,
// those of the clients that logged actions on one order, or (both empty)
// every one.
type AuditQuery struct {
	OrderID, ClientID string
}

// verifyPage is how many entries verification reads at a time.
const verifyPage = 1000

// ChainSummary is what VerifyChains found for one client's log.
type ChainSummary struct {
	ClientID, UserID string
	Entries          int
	FirstSeq, Last   int64
	// ContinuesFrom names the client whose log this one goes on from
	// (after a fork of the client id), with the entry.
	ContinuesFrom    string
	ContinuesFromSeq int64
	Problems         []streetdesk.AuditFlag // what is wrong
	Forks            []streetdesk.AuditFlag // forks the desk recorded (restored backups): not wrong
}

// VerifyChains checks the stored action logs again from what is stored:
// every entry's hashes, the links between them, and each action entry
// against the digest of the mutation it records. It writes a report to w
// and returns the summaries; anything in Problems is wrong.
func (a *Audit) VerifyChains(ctx context.Context, q AuditQuery, w io.Writer) ([]ChainSummary, error) {
	clients, orderRows, err := a.clientsOf(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []ChainSummary
	problems := 0
	for _, id := range clients {
		s, err := a.verifyClient(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		problems += len(s.Problems)
		writeSummary(w, &s)
	}
	for _, r := range orderRows {
		name := ""
		if act, err := r.Entry.Action(); err == nil {
			name = act.Name
		}
		fmt.Fprintf(w, "order %s: client %s entry %d %s at %s\n", q.OrderID, r.ClientID, r.Entry.Seq, name, r.Entry.At)
	}
	entries := 0
	for _, s := range out {
		entries += s.Entries
	}
	fmt.Fprintf(w, "%d logs, %d entries checked: %d problems\n", len(out), entries, problems)
	return out, nil
}

func (a *Audit) clientsOf(ctx context.Context, q AuditQuery) ([]string, []store.ChainRow, error) {
	switch {
	case q.ClientID != "":
		return []string{q.ClientID}, nil, nil
	case q.OrderID != "":
		rows, err := a.db.ChainEntries(ctx, store.ChainQuery{OrderID: q.OrderID})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, r := range rows {
			if !slices.Contains(ids, r.ClientID) {
				ids = append(ids, r.ClientID)
			}
		}
		sort.Strings(ids)
		return ids, rows, nil
	}
	ids, err := a.db.ChainClients(ctx, "")
	return ids, nil, err
}

func writeSummary(w io.Writer, s *ChainSummary) {
	state := "ok"
	if len(s.Problems) > 0 {
		state = fmt.Sprintf("%d problems", len(s.Problems))
	}
	from := ""
	if s.ContinuesFrom != "" {
		from = fmt.Sprintf(", goes on from client %s after its entry %d", s.ContinuesFrom, s.ContinuesFromSeq)
	}
	fmt.Fprintf(w, "client %s (user %s): %d entries, %d–%d%s: %s\n", s.ClientID, s.UserID, s.Entries, s.FirstSeq, s.Last, from, state)
	for _, f := range s.Forks {
		fmt.Fprintf(w, "  fork after entry %d of client %s, recorded by the desk (a restored backup): %s\n", f.ForkSeq, f.ForkClientID, f.Message)
	}
	for _, f := range s.Problems {
		where := ""
		if f.OrderID != "" {
			where = " (order " + f.OrderID + ")"
		}
		fmt.Fprintf(w, "  entry %d%s: %s: %s\n", f.Seq, where, f.Code, f.Message)
	}
}

// linkInfo is what the link check keeps of an entry.
type linkInfo struct {
	seq        int64
	prev, hash string
}

// verifyClient checks one client's stored log, read in arrival order.
func (a *Audit) verifyClient(ctx context.Context, clientID string) (ChainSummary, error) {
	s := ChainSummary{ClientID: clientID}
	problem := func(e *streetdesk.ChainEntry, order string, code streetdesk.ChainProblemCode, msg string) *streetdesk.AuditFlag {
		s.Problems = append(s.Problems, streetdesk.AuditFlag{Code: code, ClientID: clientID, UserID: s.UserID, Seq: e.Seq, Hash: e.Hash, OrderID: order, Message: msg})
		return &s.Problems[len(s.Problems)-1]
	}
	var links []linkInfo
	bySeq := map[int64][]string{}
	var after int64
	for {
		rows, err := a.db.ChainEntries(ctx, store.ChainQuery{ClientID: clientID, AfterN: after, Limit: verifyPage})
		if err != nil {
			return s, err
		}
		keys := make([]string, 0, len(rows))
		for _, r := range rows {
			if r.MutationKey != "" {
				keys = append(keys, r.MutationKey)
			}
		}
		digests, err := a.db.AuditActions(ctx, keys)
		if err != nil {
			return s, err
		}
		for _, r := range rows {
			e := r.Entry
			s.UserID = r.UserID
			s.Entries++
			if s.Entries == 1 || e.Seq < s.FirstSeq {
				s.FirstSeq = e.Seq
			}
			s.Last = max(s.Last, e.Seq)
			faults := entryFaults(e)
			for _, p := range faults {
				msg := p.Message
				if p.Code == streetdesk.ChainBadHash || p.Code == streetdesk.ChainBadBody {
					msg += " on the desk or in the platform's database"
				}
				problem(&e, r.OrderID, p.Code, msg)
			}
			if len(faults) == 0 {
				a.checkAction(r, digests, problem)
			}
			links = append(links, linkInfo{e.Seq, e.Prev, e.Hash})
			bySeq[e.Seq] = append(bySeq[e.Seq], e.Hash)
		}
		if len(rows) < verifyPage {
			break
		}
		after = rows[len(rows)-1].N
	}
	return s, a.checkLinks(ctx, &s, links, bySeq, problem)
}

// checkAction compares an action entry with its mutation's digest, and
// with the columns it is filed under.
func (a *Audit) checkAction(r store.ChainRow, digests map[string]store.AuditAction,
	problem func(*streetdesk.ChainEntry, string, streetdesk.ChainProblemCode, string) *streetdesk.AuditFlag) {
	e := r.Entry
	if e.Kind != streetdesk.ChainKindAction {
		return
	}
	act, err := e.Action()
	if err != nil {
		problem(&e, r.OrderID, streetdesk.ChainBadBody, streetdesk.ErrorMessage(err))
		return
	}
	if act.OrderID != r.OrderID || act.Key != r.MutationKey {
		problem(&e, r.OrderID, streetdesk.ChainMismatch, fmt.Sprintf("filed under order %q, key %q; the entry says %q, %q", r.OrderID, r.MutationKey, act.OrderID, act.Key))
	}
	m, ok := digests[act.Key]
	if !ok {
		return // the mutation has not reached the platform (yet)
	}
	d, err := digestOf(*act)
	if err == nil && d.differs(digest{m.ActionHash, m.ChecksHash}) {
		problem(&e, r.OrderID, streetdesk.ChainMismatch, "the entry differs from the mutation it records, as the platform received it")
	}
}

// checkLinks checks that every entry follows one the platform holds (or
// starts the log, or goes on from another client id of the same desk),
// and reports forks: recorded by the desk (legitimate) or not.
func (a *Audit) checkLinks(ctx context.Context, s *ChainSummary, links []linkInfo, bySeq map[int64][]string,
	problem func(*streetdesk.ChainEntry, string, streetdesk.ChainProblemCode, string) *streetdesk.AuditFlag) error {
	recorded := map[string]bool{} // clients whose forks a fork entry records
	isRecorded := func(client string) (bool, error) {
		if v, ok := recorded[client]; ok {
			return v, nil
		}
		rows, err := a.db.ChainEntries(ctx, store.ChainQuery{ForkOf: client, Limit: 1})
		recorded[client] = len(rows) > 0
		return recorded[client], err
	}
	fork := func(e *streetdesk.ChainEntry, client string, msg string) error {
		ok, err := isRecorded(client)
		if err != nil {
			return err
		}
		f := streetdesk.AuditFlag{Code: streetdesk.ChainForked, ClientID: s.ClientID, UserID: s.UserID, Seq: e.Seq, Hash: e.Hash,
			ForkClientID: client, ForkSeq: e.Seq - 1, ForkHash: e.Prev, Explained: ok, Message: msg}
		if ok {
			s.Forks = append(s.Forks, f)
		} else {
			f.Message += " (no fork entry records it)"
			s.Problems = append(s.Problems, f)
		}
		return nil
	}
	forked := map[int64]bool{}
	for _, l := range links {
		e := &streetdesk.ChainEntry{Seq: l.seq, Prev: l.prev, Hash: l.hash}
		if len(bySeq[l.seq]) > 1 && !forked[l.seq] {
			forked[l.seq] = true
			if err := fork(e, s.ClientID, fmt.Sprintf("%d entries numbered %d", len(bySeq[l.seq]), l.seq)); err != nil {
				return err
			}
		}
		switch {
		case l.seq == 1:
			if l.prev != streetdesk.ChainGenesis {
				problem(e, "", streetdesk.ChainBadLink, "entry 1 does not start a log")
			}
			continue
		case len(bySeq[l.seq-1]) > 0:
			if !slices.Contains(bySeq[l.seq-1], l.prev) {
				problem(e, "", streetdesk.ChainBadLink, fmt.Sprintf("does not follow the entry %d the platform holds", l.seq-1))
			}
			continue
		}
		// The entry it follows has the number before it (its hash covers
		// the number), which the index by user and number serves.
		prev, err := a.db.ChainEntries(ctx, store.ChainQuery{UserID: s.UserID, Hash: l.prev, MinSeq: l.seq - 1, MaxSeq: l.seq - 1})
		if err != nil {
			return err
		}
		i := slices.IndexFunc(prev, func(p store.ChainRow) bool { return p.Entry.Seq == l.seq-1 && p.ClientID != s.ClientID })
		if i < 0 {
			problem(e, "", streetdesk.ChainGap, fmt.Sprintf("entries before %d are not on the platform", l.seq))
			continue
		}
		other := prev[i].ClientID
		s.ContinuesFrom, s.ContinuesFromSeq = other, l.seq-1
		next, err := a.db.ChainEntries(ctx, store.ChainQuery{ClientID: other, MinSeq: l.seq, MaxSeq: l.seq})
		if err != nil {
			return err
		}
		if slices.ContainsFunc(next, func(n store.ChainRow) bool { return n.Entry.Hash != l.hash }) {
			if err := fork(e, other, fmt.Sprintf("client %s went on differently after entry %d", other, l.seq-1)); err != nil {
				return err
			}
		}
	}
	return nil
}

// VerifyChains checks the action logs of the database the server serves
// (Audit.VerifyChains).
func (s *Server) VerifyChains(ctx context.Context, q AuditQuery, w io.Writer) ([]ChainSummary, error) {
	return (&Audit{db: s.db}).VerifyChains(ctx, q, w)
}

// AuditFlags lists what the platform flagged in the action logs of a
// client or an order ("" for all), oldest first.
func (s *Server) AuditFlags(ctx context.Context, clientID, orderID string) ([]streetdesk.AuditFlag, error) {
	return s.db.AuditFlags(ctx, store.AuditFlagQuery{ClientID: clientID, OrderID: orderID})
}

// Problems counts what is wrong in summaries.
func Problems(ss []ChainSummary) int {
	n := 0
	for _, s := range ss {
		n += len(s.Problems)
	}
	return n
}
