package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/sync"
)

// v1Push is a push as a platform of protocol v1 knows it: it decodes
// strictly, so a push with the optional fields is a 400 there.
type v1Push struct {
	PushVersion   int    `json:"pushVersion"`
	SchemaVersion string `json:"schemaVersion"`
	ClientID      string `json:"clientId"`
	Mutations     []struct {
		ID          int64           `json:"id"`
		Key         string          `json:"key"`
		Name        string          `json:"name"`
		OrderID     string          `json:"orderId"`
		BaseVersion int64           `json:"baseVersion"`
		BaseCycle   int             `json:"baseCycle"`
		Args        json.RawMessage `json:"args"`
		ClientTime  time.Time       `json:"clientTime"`
	} `json:"mutations"`
}

// featurePlatform answers pulls (no changes, its features) and pushes
// (every mutation applied, the action log kept and acknowledged). With
// strict set it refuses what v1 does not know, whatever it advertises.
type featurePlatform struct {
	mu       gosync.Mutex
	features []string
	strict   bool
	lmid     int64
	pushes   []streetdesk.PushRequest
	chain    map[int64]streetdesk.ChainEntry
	refused  int
	badAck   bool // acknowledge with a hash of its own
	// maxMutations > 0: a push of more is refused with 413, as a platform
	// of v1 does past 100.
	maxMutations int
	tooLarge     int
}

func (p *featurePlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v1/sync/pull":
		// The desk sees the one order the test put in its shadow.
		cs := streetdesk.ComputeChecksum([]streetdesk.VersionPair{{ID: "SZ-1", Version: 1}})
		json.NewEncoder(w).Encode(streetdesk.PullResponse{Cursor: fmt.Sprintf("c%d", p.lmid), LastMutationID: p.lmid, Features: p.features,
			Changes: []streetdesk.Change{}, Checksum: &cs, ServerTime: time.Now()})
	case "/v1/sync/push":
		body, _ := io.ReadAll(r.Body)
		if p.strict {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v1Push{}); err != nil {
				p.refused++
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(streetdesk.ErrorBody{Error: streetdesk.ErrorDetail{Code: streetdesk.EINVALID, Message: "malformed JSON: " + err.Error()}})
				return
			}
		}
		var req streetdesk.PushRequest
		if err := json.Unmarshal(body, &req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if p.maxMutations > 0 && len(req.Mutations) > p.maxMutations {
			p.tooLarge++
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			json.NewEncoder(w).Encode(streetdesk.ErrorBody{Error: streetdesk.ErrorDetail{Code: streetdesk.EINVALID, Message: "too many mutations"}})
			return
		}
		p.pushes = append(p.pushes, req)
		resp := streetdesk.PushResponse{Results: []streetdesk.MutationResult{}}
		for _, m := range req.Mutations {
			if m.ID > p.lmid {
				p.lmid = m.ID
			}
			resp.Results = append(resp.Results, streetdesk.MutationResult{ID: m.ID, Key: m.Key, Status: streetdesk.ResultApplied})
		}
		resp.LastMutationID = p.lmid
		if n := len(req.Chain); n > 0 {
			if p.chain == nil {
				p.chain = map[int64]streetdesk.ChainEntry{}
			}
			for _, e := range req.Chain {
				p.chain[e.Seq] = e
			}
			resp.Chain = &streetdesk.ChainAck{Seq: req.Chain[n-1].Seq, Hash: req.Chain[n-1].Hash}
			if p.badAck {
				resp.Chain.Hash = strings.Repeat("f", 64)
			}
		}
		json.NewEncoder(w).Encode(resp)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (p *featurePlatform) set(f func(p *featurePlatform)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

type featureDesk struct {
	t   *testing.T
	db  *localdb.DB
	eng *sync.Engine
	c   *sync.Client
}

func newFeatureDesk(t *testing.T, p *featurePlatform, path string) *featureDesk {
	t.Helper()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	user := streetdesk.User{ID: "cw01", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: "t1"}
	db, err := localdb.Open(context.Background(), path, localdb.Options{User: user})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := sync.NewClient(sync.ClientOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.SetTokenSource(sync.NewTokens(c, "token", "refresh", nil))
	t.Cleanup(c.Close)
	return &featureDesk{t: t, db: db, c: c, eng: sync.New(db, c, sync.Options{})}
}

// once runs one full sync cycle and returns its error.
func (d *featureDesk) once() error {
	d.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	before := d.eng.Stats().Cycles
	go func() { done <- d.eng.Run(ctx) }()
	for {
		ch := d.eng.Notify()
		if st := d.eng.Stats(); st.Cycles > before {
			cancel()
			<-done
			return st.LastErr
		}
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			cancel()
			d.t.Fatal("no sync cycle")
		}
	}
}

func (d *featureDesk) work(n int) { d.workText(n, "现场记录") }

// workText puts the order in the shadow and adds n notes of text.
func (d *featureDesk) workText(n int, text string) {
	d.t.Helper()
	ctx := context.Background()
	o := streetdesk.WorkOrder{ID: "SZ-1", Title: "噪声", Status: streetdesk.StatusAccepted, AssigneeID: "cw01", TeamID: "t1", Version: 1,
		DispatchedAt: time.Now().Add(-time.Hour), Location: streetdesk.Location{Lat: 22.5489, Lng: 114.1182}}
	if err := d.db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c0", Changes: []streetdesk.Change{{Type: streetdesk.ChangeWorkOrder,
		Op: streetdesk.OpUpsert, ID: o.ID, Version: 1, Order: &o}}}); err != nil {
		d.t.Fatal(err)
	}
	for i := range n {
		if err := d.db.AddNote(ctx, "SZ-1", fmt.Sprintf("%s%d", text, i)); err != nil {
			d.t.Fatal(err)
		}
	}
}

func (d *featureDesk) resolve() {
	d.t.Helper()
	ctx := context.Background()
	p := streetdesk.ImportedPhoto{SHA256: fmt.Sprintf("%064x", 7), Path: "/x.jpg", Size: 100, MIME: "image/jpeg", TakenAt: time.Now()}
	ref, err := d.db.AttachPhoto(ctx, "SZ-1", p, streetdesk.PhotoAfter, "")
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := d.db.Resolve(ctx, "SZ-1", streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已协调环卫部门调整作业时间，市民认可。",
		PhotoRefIDs: []string{ref.ID}, Evidence: []streetdesk.EvidenceCheck{{Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning,
			PhotoRefID: ref.ID, SHA256: p.SHA256, Explanation: "室内拍摄"}}}); err != nil {
		d.t.Fatal(err)
	}
}

func (d *featureDesk) pendingChain() int {
	d.t.Helper()
	es, err := d.db.PendingChain(context.Background(), 10000)
	if err != nil {
		d.t.Fatal(err)
	}
	return len(es)
}

// A platform of protocol v1 gets pushes it can decode: no action log, no
// checks, whatever the desk holds.
func TestPushToV1Platform(t *testing.T) {
	p := &featurePlatform{strict: true}
	d := newFeatureDesk(t, p, filepath.Join(t.TempDir(), "v1.db"))
	d.work(2)
	d.resolve()
	for range 2 {
		if err := d.once(); err != nil {
			t.Fatal(err)
		}
	}
	if p.refused != 0 || len(p.pushes) != 1 || len(p.pushes[0].Mutations) != 4 {
		t.Fatalf("refused %d, pushes %d", p.refused, len(p.pushes))
	}
	if n := d.pendingChain(); n != 4 {
		t.Errorf("%d entries pending, want all 4 kept for a later platform", n)
	}
}

// Batches of 500 go only to a platform that lists pushBatch500, of 1,000
// (and 1,000 action-log entries) only to one that lists pushBatch1000; one
// that lists a feature but refuses the larger batch (an older platform
// behind the same address) gets v1's batches after one 413; every mutation
// is answered once whichever.
func TestPushBatchFeatures(t *testing.T) {
	b500 := []string{streetdesk.FeaturePushBatch500}
	b1000 := []string{streetdesk.FeaturePushBatch500, streetdesk.FeaturePushBatch1000}
	tests := []struct {
		name                 string
		features             []string
		maxMutations         int
		largest, chain, n413 int
	}{
		{"v1 platform", nil, streetdesk.MaxPushMutations, streetdesk.MaxPushMutations, 0, 0},
		{"pushBatch500", b500, streetdesk.MaxPushMutationsLarge, streetdesk.MaxPushMutationsLarge, 0, 0},
		{"pushBatch1000 with the action log", append([]string{streetdesk.FeatureAuditChain}, b1000...), streetdesk.MaxPushMutationsXL,
			streetdesk.MaxPushMutationsXL, streetdesk.MaxPushChainEntriesXL, 0},
		{"pushBatch500 listed by an older platform", b500, streetdesk.MaxPushMutations, streetdesk.MaxPushMutations, 0, 1},
		{"pushBatch1000 listed by a platform of 500", b1000, streetdesk.MaxPushMutationsLarge, streetdesk.MaxPushMutations, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.maxMutations + 50 // one batch more than the platform takes
			p := &featurePlatform{features: tc.features, maxMutations: tc.maxMutations}
			d := newFeatureDesk(t, p, filepath.Join(t.TempDir(), "d.db"))
			if err := d.once(); err != nil { // learns the features
				t.Fatal(err)
			}
			d.work(n)
			for range 2 {
				if err := d.once(); err != nil {
					t.Fatal(err)
				}
			}
			largest, chain, seen := 0, 0, map[string]int{}
			for _, push := range p.pushes {
				largest, chain = max(largest, len(push.Mutations)), max(chain, len(push.Chain))
				for _, m := range push.Mutations {
					seen[m.Key]++
				}
			}
			if largest != tc.largest || chain != tc.chain || p.tooLarge != tc.n413 {
				t.Errorf("largest push %d mutations, %d entries, %d refused as too large; want %d, %d, %d",
					largest, chain, p.tooLarge, tc.largest, tc.chain, tc.n413)
			}
			if len(seen) != n {
				t.Errorf("%d mutations reached the platform, want %d", len(seen), n)
			}
			for k, n := range seen {
				if n != 1 {
					t.Errorf("mutation %s sent %d times", k, n)
				}
			}
			if pend, err := d.db.PendingMutations(context.Background(), 2*n); err != nil || len(pend) != 0 {
				t.Errorf("%d mutations still pending (%v)", len(pend), err)
			}
		})
	}
}

// A platform that lists the features gets the action log (entries of
// actions pushed before it said so too, in pushes of their own) and the
// checks of resolutions; what it acknowledges is not sent again.
func TestPushCarriesChainAndEvidence(t *testing.T) {
	p := &featurePlatform{}
	path := filepath.Join(t.TempDir(), "f.db")
	d := newFeatureDesk(t, p, path)
	d.work(3)
	// Cycle 1: the first push goes before the first pull, so nothing
	// optional yet; the pull says what the platform takes.
	if err := d.once(); err != nil {
		t.Fatal(err)
	}
	if len(p.pushes) != 1 || p.pushes[0].Chain != nil {
		t.Fatalf("first push %+v", p.pushes)
	}
	p.set(func(p *featurePlatform) {
		p.features = []string{streetdesk.FeatureAuditChain, streetdesk.FeatureEvidenceChecks}
	})
	if err := d.once(); err != nil {
		t.Fatal(err)
	}
	// Cycle 2 learned the features at its pull; cycle 3 sends the log of
	// the three notes alone (nothing left in the outbox).
	if err := d.once(); err != nil {
		t.Fatal(err)
	}
	if last := p.pushes[len(p.pushes)-1]; len(last.Mutations) != 0 || len(last.Chain) != 3 || last.Chain[0].Seq != 1 {
		t.Fatalf("chain-only push %+v", last)
	}
	if n := d.pendingChain(); n != 0 {
		t.Fatalf("%d entries still pending after the acknowledgement", n)
	}
	// A resolution now goes with its checks and its entries.
	d.resolve()
	n := len(p.pushes)
	if err := d.once(); err != nil {
		t.Fatal(err)
	}
	push := p.pushes[n]
	if len(push.Mutations) != 2 || len(push.Chain) != 2 || push.Chain[0].Seq != 4 {
		t.Fatalf("push %d: %d mutations, chain %+v", n, len(push.Mutations), push.Chain)
	}
	res := push.Mutations[1]
	if res.Name != streetdesk.MutSubmitResolution || len(res.EvidenceChecks) != 1 || res.EvidenceChecks[0].Explanation != "室内拍摄" {
		t.Errorf("resolution pushed as %+v", res)
	}
	for i, m := range push.Mutations {
		if !push.Chain[i].SameAction(&m, "cw01") {
			t.Errorf("entry %d does not match mutation %s", push.Chain[i].Seq, m.Name)
		}
	}
	// What the platform holds is a whole chain that verifies.
	var all []streetdesk.ChainEntry
	for seq := int64(1); seq <= 5; seq++ {
		all = append(all, p.chain[seq])
	}
	if r := streetdesk.VerifyChain(all); !r.OK() {
		t.Errorf("the platform's copy does not verify: %v", r.Problems)
	}
	if d.pendingChain() != 0 {
		t.Errorf("entries pending after the push")
	}
	// The feature list is kept: a restarted engine sends at its first push.
	d.db.Close()
	d2 := newFeatureDesk(t, p, path)
	if err := d2.db.AddNote(context.Background(), "SZ-1", "重启后"); err != nil {
		t.Fatal(err)
	}
	n = len(p.pushes)
	if err := d2.once(); err != nil {
		t.Fatal(err)
	}
	if push := p.pushes[n]; len(push.Mutations) != 1 || len(push.Chain) != 1 {
		t.Errorf("first push after restart: %d mutations, %d entries", len(push.Mutations), len(push.Chain))
	}
}

// A platform that lists the features but refuses them (replaced by an
// older one) gets the same push again without them, and nothing more
// until the engine restarts.
func TestPushRefusedExtras(t *testing.T) {
	p := &featurePlatform{features: []string{streetdesk.FeatureAuditChain, streetdesk.FeatureEvidenceChecks}}
	d := newFeatureDesk(t, p, filepath.Join(t.TempDir(), "r.db"))
	d.work(1)
	if err := d.once(); err != nil { // learns the features
		t.Fatal(err)
	}
	p.set(func(p *featurePlatform) { p.strict = true })
	d.resolve()
	if err := d.once(); err != nil {
		t.Fatalf("push after the downgrade: %v", err)
	}
	if err := d.once(); err != nil {
		t.Fatal(err)
	}
	if p.refused != 1 {
		t.Errorf("refused %d times, want once", p.refused)
	}
	last := p.pushes[len(p.pushes)-1]
	if len(last.Mutations) != 2 || last.Chain != nil || last.Mutations[1].EvidenceChecks != nil {
		t.Errorf("resent push %+v", last)
	}
	if n := d.pendingChain(); n != 3 {
		t.Errorf("%d entries pending, want the 3 not acknowledged", n)
	}
}

// Entries that do not fit one push go in several, each within the size
// limit.
func TestPushChainInBatches(t *testing.T) {
	p := &featurePlatform{}
	d := newFeatureDesk(t, p, filepath.Join(t.TempDir(), "b.db"))
	const n = 22
	d.workText(n, strings.Repeat("长", streetdesk.MaxNoteRunes-10)) // ~12 KB per entry: ~20 per push
	if err := d.once(); err != nil {
		t.Fatal(err)
	}
	p.set(func(p *featurePlatform) { p.features = []string{streetdesk.FeatureAuditChain} })
	for range 2 {
		if err := d.once(); err != nil {
			t.Fatal(err)
		}
	}
	if d.pendingChain() != 0 || len(p.chain) != n {
		t.Fatalf("pending %d, platform has %d", d.pendingChain(), len(p.chain))
	}
	chained := 0
	for _, push := range p.pushes {
		if len(push.Chain) > 0 {
			chained++
		}
		b, _ := json.Marshal(push)
		if len(b) > streetdesk.MaxPushBytes || len(push.Chain) > streetdesk.MaxPushChainEntries {
			t.Errorf("a push of %d bytes, %d entries", len(b), len(push.Chain))
		}
	}
	if chained < 2 {
		t.Errorf("the entries went in %d push(es)", chained)
	}
}

// An acknowledgement that names another hash moves nothing; the engine
// does not push the same entries again and again within a cycle.
func TestPushChainBadAck(t *testing.T) {
	p := &featurePlatform{features: []string{streetdesk.FeatureAuditChain}}
	d := newFeatureDesk(t, p, filepath.Join(t.TempDir(), "a.db"))
	d.work(2)
	if err := d.once(); err != nil { // learns the features
		t.Fatal(err)
	}
	p.set(func(p *featurePlatform) { p.badAck = true })
	n := len(p.pushes)
	if err := d.once(); err != nil {
		t.Fatal(err)
	}
	if got := len(p.pushes) - n; got != 1 {
		t.Errorf("%d chain pushes in one cycle, want 1", got)
	}
	if d.pendingChain() != 2 {
		t.Errorf("entries acknowledged by a wrong hash")
	}
}
