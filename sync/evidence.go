package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/streetdesk/streetdesk"
)

// The optional parts of a push: the action log's entries and the photo
// checks of resolutions. A platform of protocol v1 refuses a push with a
// field it does not know, so they go only to a platform that lists the
// matching feature in its pull pages; the engine keeps the list in the
// store's state so it holds from the first push after a restart.

// ChainStore is a Store that keeps an action log (localdb.DB).
type ChainStore interface {
	// PendingChain returns up to limit entries not yet acknowledged, in
	// sequence order.
	PendingChain(ctx context.Context, limit int) ([]streetdesk.ChainEntry, error)
	// AckChain records that the platform keeps every entry up to ack.Seq.
	AckChain(ctx context.Context, ack streetdesk.ChainAck) error
}

// AnswerStore is a ChainStore that records a push's results and the
// acknowledgement of its entries in one transaction (localdb.DB): one
// fsync a push instead of two.
type AnswerStore interface {
	RecordPushAnswer(ctx context.Context, results []streetdesk.MutationResult, ack *streetdesk.ChainAck) error
}

// EvidenceStore is a Store that keeps the photo checks sent with
// resolutions (localdb.DB).
type EvidenceStore interface {
	// MutationEvidence returns the checks of the resolutions queued under
	// the given outbox keys.
	MutationEvidence(ctx context.Context, keys []string) (map[string][]streetdesk.EvidenceCheck, error)
}

// ForkRecorder is a Store that records a client fork in its action log.
type ForkRecorder interface {
	ForkClientWith(ctx context.Context, f streetdesk.ChainFork) (string, error)
}

// stateFeatures is the sync_state key of the platform's feature list.
const stateFeatures = "platform_features"

// features returns what the platform last said it accepts.
func (e *Engine) features(ctx context.Context) []string {
	if !e.featuresRead {
		v, err := e.store.State(ctx, stateFeatures)
		if err != nil {
			return nil // unknown: send nothing optional this time
		}
		e.featureList, e.featuresRead = splitFeatures(v), true
	}
	return e.featureList
}

func splitFeatures(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// noteFeatures stores the list of a pull page when it changed (not after
// the platform refused the fields it listed, until the engine restarts).
func (e *Engine) noteFeatures(ctx context.Context, fs []string) {
	if e.featuresRefused {
		return
	}
	cur := e.features(ctx)
	if slices.Equal(cur, fs) {
		return
	}
	if err := e.store.SetState(ctx, stateFeatures, strings.Join(fs, ",")); err != nil {
		e.log.Warn("platform features not saved", "error", err)
		return
	}
	e.featureList, e.featuresRead = slices.Clone(fs), true
}

// forgetFeatures drops the list after a platform refused the optional
// fields (it was replaced by an older one, or says more than it takes);
// this run of the engine then sends none, a restart asks again.
func (e *Engine) forgetFeatures(ctx context.Context) {
	_ = e.store.SetState(ctx, stateFeatures, "")
	e.featureList, e.featuresRead, e.featuresRefused = nil, true, true
}

// addEvidence adds the checks of the resolutions among muts, when the
// platform takes them. It reports whether any was added.
func (e *Engine) addEvidence(ctx context.Context, muts []streetdesk.Mutation) (bool, error) {
	es, ok := e.store.(EvidenceStore)
	if !ok || !streetdesk.HasFeature(e.features(ctx), streetdesk.FeatureEvidenceChecks) {
		return false, nil
	}
	var keys []string
	for _, m := range muts {
		if m.Name == streetdesk.MutSubmitResolution {
			keys = append(keys, m.Key)
		}
	}
	if len(keys) == 0 {
		return false, nil
	}
	ev, err := es.MutationEvidence(ctx, keys)
	if err != nil {
		return false, fmt.Errorf("read evidence checks: %w", err)
	}
	added := false
	for i := range muts {
		if cs := ev[muts[i].Key]; len(cs) > 0 {
			muts[i].EvidenceChecks = cs
			added = true
		}
	}
	return added, nil
}

// addChain adds as many pending action-log entries as fit in room bytes
// (what the push's mutations leave: trimBytes measured them), when the
// platform takes them. It reports whether any was added.
func (e *Engine) addChain(ctx context.Context, req *streetdesk.PushRequest, room int) (bool, error) {
	cs, ok := e.store.(ChainStore)
	if !ok || !streetdesk.HasFeature(e.features(ctx), streetdesk.FeatureAuditChain) {
		return false, nil
	}
	_, _, limit := e.pushBounds(ctx)
	entries, err := cs.PendingChain(ctx, limit)
	if err != nil {
		return false, fmt.Errorf("read action log: %w", err)
	}
	size := 0
	for i := range entries {
		n := entryJSONBound(&entries[i])
		if size+n+1 > room {
			break
		}
		size += n + 1
		req.Chain = append(req.Chain, entries[i])
	}
	return len(req.Chain) > 0, nil
}

// entryJSONBound is at least the length of en's JSON as the request
// carries it, without encoding it (a push of 500 would marshal every entry
// once more only to measure it): the fields as they stand plus what
// encoding/json may add — 5 bytes for each '<', '>', '&' or control byte
// (\u00XX), 1 for '"' and '\\' in a string, 3 for each U+2028 and U+2029
// (counted by their first byte, 0xE2), 5 for each byte of a string that is
// not valid UTF-8 (\ufffd). The body is JSON already: only the HTML
// escapes can lengthen it.
func entryJSONBound(en *streetdesk.ChainEntry) int {
	n := len(`{"seq":,"prev":"","kind":"","clientId":"","at":"","bodyHash":"","hash":"","body":}`) + 20
	for _, s := range [...]string{en.Prev, string(en.Kind), en.ClientID, en.At, en.BodyHash, en.Hash} {
		n += jsonGrowth(s, true)
	}
	return n + jsonGrowth(en.Body, false)
}

func jsonGrowth[S ~string | ~[]byte](s S, quoted bool) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<' || c == '>' || c == '&':
			n += 5
		case c == 0xe2:
			n += 3
		case !quoted:
		case c < 0x20:
			n += 5
		case c == '"' || c == '\\':
			n++
		}
	}
	if quoted && !utf8.ValidString(string(s)) {
		n += 5 * len(s)
	}
	return n
}

// refusedExtras reports whether err is a platform refusing a push whose
// optional fields it does not know (400 EINVALID for the whole request).
func refusedExtras(err error) bool {
	se := AsError(err)
	return se != nil && se.Status == 400 && se.Code == streetdesk.EINVALID
}

// recordAnswer records a push's results and the acknowledgement of its
// entries: together where the store can, else one after the other.
func (e *Engine) recordAnswer(ctx context.Context, req *streetdesk.PushRequest, resp *streetdesk.PushResponse) error {
	if as, ok := e.store.(AnswerStore); ok && resp.Chain != nil && len(req.Chain) > 0 {
		if _, chain := e.store.(ChainStore); chain {
			if err := as.RecordPushAnswer(ctx, resp.Results, resp.Chain); err != nil {
				return fmt.Errorf("record push results: %w", err)
			}
			return nil
		}
	}
	if err := e.store.RecordPushResults(ctx, resp.Results); err != nil {
		return fmt.Errorf("record push results: %w", err)
	}
	return e.ackChain(ctx, req, resp)
}

// ackChain records the platform's acknowledgement of a push's entries.
func (e *Engine) ackChain(ctx context.Context, req *streetdesk.PushRequest, resp *streetdesk.PushResponse) error {
	cs, ok := e.store.(ChainStore)
	if !ok || resp.Chain == nil || len(req.Chain) == 0 {
		return nil
	}
	if err := cs.AckChain(ctx, *resp.Chain); err != nil {
		return fmt.Errorf("record action log acknowledgement: %w", err)
	}
	return nil
}

// pushChain sends the action-log entries still pending once the outbox is
// empty (entries of actions pushed before the platform took them), in
// pushes without mutations, until none is left or the platform stops
// acknowledging.
func (e *Engine) pushChain(ctx context.Context, cid string) error {
	if _, ok := e.store.(ChainStore); !ok || !streetdesk.HasFeature(e.features(ctx), streetdesk.FeatureAuditChain) {
		return nil
	}
	var last int64 // the first entry of the previous push: each push must move past it
	_, maxBytes, _ := e.pushBounds(ctx)
	for {
		req := &streetdesk.PushRequest{PushVersion: streetdesk.PushVersion, SchemaVersion: streetdesk.SchemaVersion,
			ClientID: cid, Mutations: []streetdesk.Mutation{}}
		if added, err := e.addChain(ctx, req, maxBytes-pushOverhead); err != nil || !added {
			return err
		}
		if req.Chain[0].Seq <= last {
			return nil // the acknowledgement did not match this log: next cycle
		}
		last = req.Chain[0].Seq
		resp, err := e.client.Push(ctx, req)
		if err != nil {
			if refusedExtras(err) {
				e.forgetFeatures(ctx)
				return nil
			}
			return err
		}
		if resp.Chain == nil || resp.Chain.Seq < req.Chain[0].Seq {
			return nil // nothing kept: try again next cycle
		}
		if err := e.ackChain(ctx, req, resp); err != nil {
			return err
		}
	}
}

// forkStore forks the client through the store, recording why in its
// action log when it keeps one.
func (e *Engine) forkStore(ctx context.Context, why string) (string, error) {
	if fr, ok := e.store.(ForkRecorder); ok {
		return fr.ForkClientWith(ctx, streetdesk.ChainFork{Reason: why})
	}
	return e.store.ForkClient(ctx)
}
