package streetdesk

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Timeline kinds that are not operations.
const (
	TimelineDispatch = "dispatch"
	TimelineCallback = "callback"
	TimelineReopen   = "reopen"
)

// TimelineInput is what an order's timeline is built from.
type TimelineInput struct {
	Order       *WorkOrder // its History is the platform's record of status changes
	Notes       []LocalNote
	Photos      []LocalPhoto
	Resolutions []LocalResolution
	// Pending are the local intents not confirmed yet that change the
	// order itself (accept, requests, reassign, review); the facts above
	// stand for their own intents.
	Pending []TimelineEntry
	// Name gives a user's display name ("" when unknown).
	Name func(userID string) string
}

// factKinds are the operations whose record is a fact (a note, a photo, a
// resolution) rather than the platform's history.
var factKinds = []string{string(OpAddNote), string(OpRecordContact), string(OpAttachPhoto),
	string(OpSubmitResolution), string(OpSubmitForReview)}

// IsFactKind reports whether an operation leaves a fact (note, contact
// record, photo, resolution) that the timeline shows in its own right.
func IsFactKind(kind string) bool { return slices.Contains(factKinds, kind) }

// photoGroup is how close in time photos by one author with one tag must be
// to share a timeline line.
const photoGroup = time.Minute

// BuildTimeline is the order's timeline in time order: the platform's
// history, every note and contact record with its text, photos (one line per
// batch), every resolution with its reply, and the pending intents — each
// with its author and sync state. A fact never depends on its intent still
// being queued, so nothing disappears once it is synced.
//
// The platform marks some facts in its history too: the first contact (an
// event without text) and each resolution (an event with the outcome). Such
// an event is shown once, with the fact: a note event goes when a note of its
// kind stands for it (same cycle, and no text of its own or the same text),
// and a resolution event is merged with the resolution of its cycle nearest
// in time (the line has the fact's time and text and the event's author). Times are
// not compared otherwise: a fact written offline carries the desk's time, its
// event the platform's.
func BuildTimeline(in TimelineInput) []TimelineEntry {
	name := func(id string) string {
		if in.Name != nil {
			if n := in.Name(id); n != "" {
				return n
			}
		}
		// Notes carry their author's name: a desk without the roster
		// still names the author of a photo or a resolution.
		for _, n := range in.Notes {
			if n.AuthorID == id && n.AuthorName != "" {
				return n.AuthorName
			}
		}
		return id
	}
	var t []TimelineEntry
	covered := func(kind NoteKind, e Event) bool {
		return slices.ContainsFunc(in.Notes, func(n LocalNote) bool {
			return n.Kind == kind && n.Cycle == e.Cycle && (e.Text == "" || n.Body == e.Text)
		})
	}
	var resEvents []int // indexes into t of resolution events, for the merge below
	if in.Order != nil {
		for _, e := range in.Order.History {
			switch Operation(e.Kind) {
			case OpAddNote:
				if covered(NoteSurvey, e) {
					continue
				}
			case OpRecordContact:
				if covered(NoteContact, e) {
					continue
				}
			case OpAttachPhoto:
				if e.Text == "" && slices.ContainsFunc(in.Photos, func(p LocalPhoto) bool { return p.Cycle == e.Cycle }) {
					continue
				}
			case OpSubmitResolution, OpSubmitForReview:
				resEvents = append(resEvents, len(t))
			}
			te := TimelineEntry{At: e.At, Kind: e.Kind, Actor: e.Actor, Text: e.Text, Sync: SyncSynced, Cycle: e.Cycle, Value: e.Value}
			if k := Operation(e.Kind); k == OpSubmitResolution || k == OpSubmitForReview {
				te.Outcome = Outcome(e.Value)
			}
			t = append(t, te)
		}
	}
	// Each resolution takes the nearest free event of its cycle, oldest
	// resolution first.
	res := slices.Clone(in.Resolutions)
	sort.SliceStable(res, func(i, j int) bool { return res[i].CreatedAt.Before(res[j].CreatedAt) })
	for _, r := range res {
		best := -1
		for k, i := range resEvents {
			if i < 0 || t[i].Cycle != r.Cycle {
				continue
			}
			if best < 0 || absDur(t[i].At.Sub(r.CreatedAt)) < absDur(t[resEvents[best]].At.Sub(r.CreatedAt)) {
				best = k
			}
		}
		if best >= 0 {
			e := &t[resEvents[best]]
			e.ID, e.At, e.Text, e.Outcome, e.Sync = r.ID, r.CreatedAt, r.Reply, r.Outcome, r.Sync
			resEvents[best] = -1
			continue
		}
		kind := OpSubmitResolution
		if r.State == ResolutionReview {
			kind = OpSubmitForReview
		}
		t = append(t, TimelineEntry{ID: r.ID, At: r.CreatedAt, Kind: string(kind), Actor: name(r.AuthorID), Text: r.Reply, Sync: r.Sync,
			Cycle: r.Cycle, Outcome: r.Outcome})
	}
	for _, n := range in.Notes {
		kind := OpAddNote
		if n.Kind == NoteContact {
			kind = OpRecordContact
		}
		actor := n.AuthorName
		if actor == "" {
			actor = name(n.AuthorID)
		}
		t = append(t, TimelineEntry{ID: n.ID, At: n.CreatedAt, Kind: string(kind), Actor: actor, Text: n.Body, Sync: n.Sync, Cycle: n.Cycle,
			Method: n.Method, Reached: n.Reached})
	}
	t = append(t, photoEntries(in.Photos, name)...)
	for _, p := range in.Pending {
		if !IsFactKind(p.Kind) {
			t = append(t, p)
		}
	}
	// A resolution closes what came with it: at the same moment, after
	// the photos and notes.
	last := func(e *TimelineEntry) bool {
		return e.Kind == string(OpSubmitResolution) || e.Kind == string(OpSubmitForReview)
	}
	// The platform stamps everything one push brings with the same time;
	// the facts' ids (UUIDv7, made when they were written) keep their order.
	sort.SliceStable(t, func(i, j int) bool {
		if !t[i].At.Equal(t[j].At) {
			return t[i].At.Before(t[j].At)
		}
		if li, lj := last(&t[i]), last(&t[j]); li != lj {
			return lj
		}
		return t[i].ID != "" && t[j].ID != "" && t[i].ID < t[j].ID
	})
	return t
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// photoEntries groups photos taken in one go (same author, tag, cycle and
// sync state, within a minute) into one line each.
func photoEntries(ps []LocalPhoto, name func(string) string) []TimelineEntry {
	ps = slices.Clone(ps)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].CreatedAt.Before(ps[j].CreatedAt) })
	var out []TimelineEntry
	var first time.Time
	var author string
	var captions []string
	for _, p := range ps {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if p.AuthorID == author && p.Tag == last.Tag && p.Cycle == last.Cycle && p.Sync == last.Sync && p.CreatedAt.Sub(first) < photoGroup {
				last.Photos++
				if p.Caption != "" && !slices.Contains(captions, p.Caption) {
					captions = append(captions, p.Caption)
					last.Text = strings.Join(captions, "；")
				}
				continue
			}
		}
		first, author, captions = p.CreatedAt, p.AuthorID, nil
		if p.Caption != "" {
			captions = []string{p.Caption}
		}
		out = append(out, TimelineEntry{ID: p.ID, At: p.CreatedAt, Kind: string(OpAttachPhoto), Actor: name(p.AuthorID), Text: p.Caption,
			Sync: p.Sync, Cycle: p.Cycle, Photos: 1, Tag: p.Tag})
	}
	return out
}
