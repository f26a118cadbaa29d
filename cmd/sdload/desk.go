package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	gosync "sync"
	"time"

	"github.com/google/uuid"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// desk is one simulated desktop: a caseworker's signed-in client with its
// own connection, shadow of its orders, outbox and cursor. Its pulls, its
// actions and its pushes run on goroutines of their own (run), so that a
// slow answer to one does not hold back the others; mu guards the state
// they share, never held across a request.
type desk struct {
	mu       gosync.Mutex
	r        *run
	username string
	user     streetdesk.User
	c        *sync.Client
	tokens   *sync.Tokens
	clientID string
	rng      *rand.Rand

	cursor string // the pulling goroutine's own
	orders map[string]*deskOrder
	seen   map[string]bool // orders this desk has ever pulled

	nextID  int64
	outbox  []streetdesk.Mutation // queued, not yet answered
	pending map[int64]*sent       // outbox entries by id
	byID    map[int64]*sent       // every mutation queued, by id
	sent    []*sent               // every mutation queued, in order
}

// deskOrder is what the desk knows of one of its orders.
type deskOrder struct {
	id      string
	status  streetdesk.Status
	version int64
	cycle   int
	// local is the status after this desk's unanswered mutations (the
	// outbox applied on top of the shadow, as the real desk shows it).
	local streetdesk.Status
}

// sent is a mutation the desk queued and what became of it.
type sent struct {
	m      streetdesk.Mutation
	tries  int // pushes that carried it
	noteID string
	// photoRefID and photoSHA name an attachPhoto's photo.
	photoRefID, photoSHA string
	result               *streetdesk.MutationResult
}

func newDesk(r *run, username string, seed uint64) (*desk, error) {
	c, err := sync.NewClient(sync.ClientOptions{
		BaseURL:     r.opts.Target,
		DialContext: loopbackDialer(),
		CallTimeout: r.opts.Timeout, ResponseHeaderTimeout: r.opts.Timeout,
		UserAgent: "sdload/1",
	})
	if err != nil {
		return nil, err
	}
	d := &desk{r: r, username: username, c: c, clientID: uuid.Must(uuid.NewV7()).String(),
		rng: rand.New(rand.NewPCG(seed, 0x5d)), orders: map[string]*deskOrder{}, seen: map[string]bool{},
		nextID: 1, pending: map[int64]*sent{}, byID: map[int64]*sent{}}
	c.SetClientID(d.clientID)
	return d, nil
}

func (d *desk) login(ctx context.Context) error {
	start := time.Now()
	lr, err := d.c.Login(ctx, d.username, d.r.opts.Password)
	d.r.stats.done(ctx, opLogin, start, err)
	if err != nil {
		return fmt.Errorf("sign in %s: %w", d.username, err)
	}
	d.user = lr.User
	d.tokens = sync.NewTokens(d.c, lr.Token, lr.RefreshToken, nil)
	d.c.SetTokenSource(d.tokens)
	return nil
}

// pull fetches pages until the desk is up to date and applies them to its
// shadow. Results of its mutations confirm them, as a push answer would.
func (d *desk) pull(ctx context.Context) error {
	for {
		start := time.Now()
		p, err := d.c.Pull(ctx, d.clientID, d.cursor, streetdesk.DefaultPullLimit)
		d.r.stats.done(ctx, opPull, start, err)
		if err != nil {
			return err
		}
		d.apply(p)
		d.cursor = p.Cursor
		if !p.HasMore {
			return nil
		}
	}
}

// apply takes a pulled page into the desk's shadow.
func (d *desk) apply(p *streetdesk.PullResponse) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p.Reset {
		d.orders = map[string]*deskOrder{}
	}
	if d.r.stats.recording.Load() {
		d.r.stats.changes.Add(int64(len(p.Changes)))
	}
	for _, ch := range p.Changes {
		switch ch.Type {
		case streetdesk.ChangeWorkOrder:
			if ch.Op == streetdesk.OpRevoke {
				delete(d.orders, ch.ID)
				continue
			}
			if ch.Order == nil {
				continue
			}
			if !d.seen[ch.ID] {
				d.seen[ch.ID] = true
				d.r.arrived(ch.ID)
			}
			o := d.orders[ch.ID]
			if o == nil {
				o = &deskOrder{id: ch.ID}
				d.orders[ch.ID] = o
			}
			o.status, o.version, o.cycle = ch.Order.Status, ch.Order.Version, ch.Order.Cycle
			if !d.hasPending(ch.ID) {
				o.local = o.status
			}
		case streetdesk.ChangeMutationResult:
			if ch.Result != nil {
				d.answered(*ch.Result)
			}
		}
	}
}

func (d *desk) hasPending(orderID string) bool {
	for _, m := range d.outbox {
		if m.OrderID == orderID {
			return true
		}
	}
	return false
}

// act does what a caseworker does next: accept a new order, write a note,
// now and then resolve one. It queues the mutation; flush sends it.
func (d *desk) act() {
	d.mu.Lock()
	defer d.mu.Unlock()
	var fresh, working []*deskOrder
	for _, o := range d.orders {
		switch o.local {
		case streetdesk.StatusDispatched:
			fresh = append(fresh, o)
		case streetdesk.StatusAccepted, streetdesk.StatusReopened:
			working = append(working, o)
		}
	}
	// Map order is random; sort for a reproducible choice per seed.
	sortOrders(fresh)
	sortOrders(working)
	x := d.rng.Float64()
	switch {
	case len(fresh) > 0 && (x < 0.4 || len(working) == 0):
		o := fresh[d.rng.IntN(len(fresh))]
		d.queue(streetdesk.MutAccept, o, streetdesk.AcceptArgs{}, "")
		o.local = streetdesk.StatusAccepted
	case len(working) > 0 && x < 0.9:
		o := working[d.rng.IntN(len(working))]
		id := uuid.Must(uuid.NewV7()).String()
		d.queue(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: id, Body: "现场查看：" + noteBodies[d.rng.IntN(len(noteBodies))]}, id)
	case len(working) > 0:
		o := working[d.rng.IntN(len(working))]
		d.queue(streetdesk.MutSubmitResolution, o, streetdesk.SubmitResolutionArgs{ResolutionID: uuid.Must(uuid.NewV7()).String(),
			Outcome: streetdesk.OutcomeSolved, Reply: "已安排维修人员到场处理，现场已恢复正常，并已电话告知市民处理结果。", PhotoRefIDs: []string{}}, "")
		o.local = streetdesk.StatusResolved
	default:
		d.r.idle.Add(1)
	}
}

var noteBodies = []string{
	"井盖已设置临时围挡，已联系市政维修。",
	"与物业沟通，约定明日上午共同处理。",
	"市民不在家，已留联系卡。",
	"垃圾已清运，现场拍照留存。",
	"占道经营摊点已劝离，将持续巡查。",
}

func sortOrders(os []*deskOrder) {
	for i := 1; i < len(os); i++ {
		for j := i; j > 0 && os[j].id < os[j-1].id; j-- {
			os[j], os[j-1] = os[j-1], os[j]
		}
	}
}

func (d *desk) queue(name string, o *deskOrder, args any, noteID string) {
	raw, _ := json.Marshal(args)
	m := streetdesk.Mutation{ID: d.nextID, Key: uuid.Must(uuid.NewV7()).String(), Name: name, OrderID: o.id,
		BaseVersion: o.version, BaseCycle: o.cycle, Args: raw, ClientTime: time.Now().UTC()}
	d.nextID++
	s := &sent{m: m, noteID: noteID}
	d.outbox = append(d.outbox, m)
	d.pending[m.ID] = s
	d.byID[m.ID] = s
	d.sent = append(d.sent, s)
	d.r.stats.mutations.Add(1)
}

// flush pushes the outbox until it is empty, retrying failures with the
// same ids and keys (as the engine does) after the platform's Retry-After
// or a short jittered pause. It returns when the outbox is empty or ctx
// ends.
func (d *desk) flush(ctx context.Context) error {
	tries := 0
	for {
		d.mu.Lock()
		if len(d.outbox) == 0 {
			d.mu.Unlock()
			return nil
		}
		batch := slices.Clone(d.outbox[:min(len(d.outbox), streetdesk.MaxPushMutations)])
		for _, m := range batch {
			// A resend counts also when a pull has answered it meanwhile
			// (the pulls run beside the pushes).
			if s := d.byID[m.ID]; s != nil {
				if s.tries > 0 {
					d.r.stats.resent.Add(1)
				}
				s.tries++
			}
		}
		d.mu.Unlock()
		start := time.Now()
		resp, err := d.c.Push(ctx, &streetdesk.PushRequest{PushVersion: streetdesk.PushVersion, SchemaVersion: streetdesk.SchemaVersion,
			ClientID: d.clientID, Mutations: batch})
		d.r.stats.done(ctx, opPush, start, err)
		if err != nil {
			tries++
			var se *sync.Error
			if errors.As(err, &se) && se.Kind == sync.KindStop {
				return err // a client bug or a lost client state: never resend blindly
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err := d.pause(ctx, err, tries); err != nil {
				return err
			}
			continue
		}
		tries = 0
		d.mu.Lock()
		for _, r := range resp.Results {
			d.answered(r)
		}
		// Whatever is at or below lastMutationId is settled; a gap stops
		// the batch and the rest goes again.
		keep := d.outbox[:0]
		for _, m := range d.outbox {
			if m.ID > resp.LastMutationID {
				keep = append(keep, m)
			}
		}
		d.outbox = keep
		d.mu.Unlock()
	}
}

// pause waits before a retry: the platform's Retry-After, else a capped,
// jittered backoff.
func (d *desk) pause(ctx context.Context, err error, tries int) error {
	wait := time.Duration(min(tries, 5)) * 200 * time.Millisecond
	var se *sync.Error
	if errors.As(err, &se) && se.RetryAfter > 0 {
		wait = se.RetryAfter
	}
	wait += time.Duration(rand.Int64N(int64(wait/2) + 1)) // the global source: any goroutine pauses
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// answered records the platform's result for one of the desk's mutations,
// from a push answer or a pull, whichever comes first.
func (d *desk) answered(r streetdesk.MutationResult) {
	s := d.pending[r.ID]
	if s == nil {
		return
	}
	if s.m.Key != r.Key {
		d.r.mismatch.Add(1)
		return
	}
	delete(d.pending, r.ID)
	s.result = &streetdesk.MutationResult{ID: r.ID, Key: r.Key, Status: r.Status, Code: r.Code}
	s.m.Args = nil // answered: only the ids, key and outcome are kept for the check
	d.r.stats.result(string(r.Status), string(r.Code))
	if o := d.orders[s.m.OrderID]; o != nil && !d.hasPendingExcept(s.m.OrderID, r.ID) {
		if r.Status != streetdesk.ResultApplied && r.Status != streetdesk.ResultDuplicate {
			o.local = o.status
		}
	}
}

func (d *desk) hasPendingExcept(orderID string, id int64) bool {
	for _, m := range d.outbox {
		if m.OrderID == orderID && m.ID != id {
			return true
		}
	}
	return false
}

// photo takes a photo of a working order: HEAD (dedupe), then a tus upload,
// then the attachPhoto mutation.
func (d *desk) photo(ctx context.Context) error {
	d.mu.Lock()
	target, data := d.photoOf()
	d.mu.Unlock()
	if target == nil {
		return nil
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	start := time.Now()
	err := d.upload(ctx, sha, data)
	d.r.stats.done(ctx, opUpload, start, err)
	if err != nil {
		return err
	}
	ref := uuid.Must(uuid.NewV7()).String()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queue(streetdesk.MutAttachPhoto, target, streetdesk.AttachPhotoArgs{PhotoRefID: ref, SHA256: sha,
		Size: int64(len(data)), MIME: "image/jpeg", Tag: streetdesk.PhotoBefore, TakenAt: time.Now().UTC()}, "")
	s := d.sent[len(d.sent)-1]
	s.photoRefID, s.photoSHA = ref, sha
	return nil
}

// photoOf picks the working order to photograph (nil: none) and makes
// the photo's bytes.
func (d *desk) photoOf() (*deskOrder, []byte) {
	var target *deskOrder
	for _, o := range d.orders {
		if o.local == streetdesk.StatusAccepted || o.local == streetdesk.StatusReopened {
			if target == nil || o.id < target.id {
				target = o
			}
		}
	}
	if target == nil {
		return nil, nil
	}
	data := make([]byte, d.r.opts.PhotoKB<<10)
	for i := range data {
		data[i] = byte(d.rng.Uint32())
	}
	// A JPEG's first and last markers, so the bytes look like one.
	copy(data, []byte{0xff, 0xd8, 0xff, 0xe0})
	copy(data[len(data)-2:], []byte{0xff, 0xd9})
	return target, data
}

func (d *desk) upload(ctx context.Context, sha string, data []byte) error {
	exists, err := d.c.BlobExists(ctx, sha)
	if err != nil || exists {
		return err
	}
	loc, exists, err := d.c.CreateUpload(ctx, sync.UploadMeta{SHA256: sha, Filename: sha[:12] + ".jpg", ContentType: "image/jpeg", Size: int64(len(data))})
	if err != nil || exists {
		return err
	}
	off, err := d.c.PatchUpload(ctx, loc, bytes.NewReader(data), 0, int64(len(data)), nil)
	if err != nil {
		return err
	}
	if off != int64(len(data)) {
		return fmt.Errorf("upload: platform holds %d of %d bytes", off, len(data))
	}
	return nil
}
