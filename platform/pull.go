package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// cursor is the pull position, opaque to clients: the change-log sequence
// already delivered, the database epoch, whether a snapshot is still being
// paged (and from which sequence it started), and when it was issued.
type cursor struct {
	epoch    string
	seq      int64
	snapshot bool
	start    int64
	issued   int64 // unix ms
}

func (c cursor) encode() string {
	mode := "d"
	if c.snapshot {
		mode = "s"
	}
	raw := fmt.Sprintf("v1:%s:%d:%s:%d:%d", c.epoch, c.seq, mode, c.start, c.issued)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseCursor(s string) (cursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	p := strings.Split(string(raw), ":")
	if len(p) != 6 || p[0] != "v1" || (p[3] != "s" && p[3] != "d") {
		return cursor{}, false
	}
	var c cursor
	var e1, e2, e3 error
	c.epoch = p[1]
	c.seq, e1 = strconv.ParseInt(p[2], 10, 64)
	c.snapshot = p[3] == "s"
	c.start, e2 = strconv.ParseInt(p[4], 10, 64)
	c.issued, e3 = strconv.ParseInt(p[5], 10, 64)
	if e1 != nil || e2 != nil || e3 != nil || c.seq < 0 {
		return cursor{}, false
	}
	return c, true
}

// viewer says whose visible set a query is about.
type viewer struct {
	user     *streetdesk.User
	clientID string
}

func (s *Server) handlePull(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	q := r.URL.Query()
	limit := streetdesk.DefaultPullLimit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > streetdesk.MaxPullLimit {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, fmt.Sprintf("limit must be 1–%d", streetdesk.MaxPullLimit))
			return
		}
		limit = n
	}
	if sv := q.Get("schemaVersion"); sv != "" && sv != streetdesk.SchemaVersion {
		writeError(w, http.StatusConflict, streetdesk.ErrVersionNotSupported, "unsupported schemaVersion; update the app")
		return
	}
	clientID := q.Get("clientId")
	if clientID != "" && !streetdesk.ValidUUID(clientID) {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "clientId must be a UUID")
		return
	}
	if len(q.Get("cursor")) > 512 {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "cursor too long")
		return
	}
	raw := pageBuffers.get()
	defer func() { pageBuffers.put(raw) }()
	if err := s.pull(r.Context(), viewer{u, clientID}, q.Get("cursor"), limit, raw); err != nil {
		if r.Context().Err() != nil {
			return // the client went away: the read stopped
		}
		s.fail(w, r, err)
		return
	}
	body, coding := raw.Bytes(), ""
	if raw.Len() >= gzipFrom {
		coding = pageCoding(r)
	}
	if coding != "" {
		z, err := s.compress(r.Context(), body, coding)
		if err != nil {
			return // the client went away while the page waited for a compressor
		}
		defer zBuffers.put(z)
		body = z.Bytes()
		pageBuffers.put(raw) // only the compressed page waits for the client
		raw = nil
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Add("Vary", "Accept-Encoding")
	if coding != "" {
		h.Set("Content-Encoding", coding)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// A pull page is built in memory sized by what is written (a page with
// nothing new is about 300 bytes, one of 500 orders about 1.3 MB), in a
// read transaction that ends before the page is sent: a slow client never
// holds a database connection. Pages worth it are then gzip-compressed
// into a second buffer (about a quarter of the size) and the first one is
// released, so a page held for a slow client costs its compressed size.
const (
	gzipFrom = 1400 // smaller pages fit one TCP segment: sent as they are
	// keepPage: larger buffers are not pooled. A page of MaxPullLimit
	// (1,000) orders is ~2.1 MB, so its buffer grows to 4 MB: at 2 MB
	// every page of a first sync regrew its buffer by doubling (~10% of
	// the first sync's CPU).
	keepPage = 4 << 20
)

// pageBuffers and zBuffers recycle page buffers: a first sync asks for
// twenty pages of the same size in a row.
var pageBuffers, zBuffers = newBufferPool(), newBufferPool()

// bufferPool recycles buffers: small ones through a sync.Pool, large ones
// (pages of orders) through a short free list that the garbage collector
// does not empty between two pages, holding at most bigBuffers × keepPage.
type bufferPool struct {
	small sync.Pool
	large chan *bytes.Buffer
}

const (
	smallBuffer = 64 << 10
	bigBuffers  = 8
)

func newBufferPool() *bufferPool {
	return &bufferPool{small: sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4<<10)) }},
		large: make(chan *bytes.Buffer, bigBuffers)}
}

func (p *bufferPool) get() *bytes.Buffer {
	select {
	case b := <-p.large:
		return b
	default:
		return p.small.Get().(*bytes.Buffer)
	}
}

// put returns b (nil is ignored); one larger than keepPage is dropped.
func (p *bufferPool) put(b *bytes.Buffer) {
	switch {
	case b == nil || b.Cap() > keepPage:
	case b.Cap() <= smallBuffer:
		b.Reset()
		p.small.Put(b)
	default:
		b.Reset()
		select {
		case p.large <- b:
		default:
		}
	}
}

// compress compresses a page with coding (zstd or gzip). A compressor
// holds about a megabyte of tables and keeps a core busy, so at most
// compressSlots pages are compressed at once; the others wait (until their
// client goes away).
func (s *Server) compress(ctx context.Context, page []byte, coding string) (*bytes.Buffer, error) {
	select {
	case s.zslots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.zslots }()
	z := zBuffers.get()
	if coding == "zstd" {
		zw := zstdWriters.Get().(*zstd.Encoder)
		defer zstdWriters.Put(zw)
		z.Grow(len(page)/8 + 64)
		z.Write(zw.EncodeAll(page, z.AvailableBuffer()))
		return z, nil
	}
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(z)
	zw.Write(page)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	zw.Reset(io.Discard) // do not keep z alive through the pool
	return z, nil
}

// pageCoding is how a page is compressed for this request: zstd when the
// request accepts it (about half gzip's size, and faster on both ends),
// else gzip when it accepts that (desks before zstd), else "" (sent as it
// is).
func pageCoding(r *http.Request) string {
	var gz bool
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := strings.ReplaceAll(params, " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(enc)) {
		case "zstd":
			return "zstd"
		case "gzip":
			gz = true
		}
	}
	if gz {
		return "gzip"
	}
	return ""
}

// pull builds one page in one read transaction, so the changes, the
// lastMutationId and the checksum describe the same snapshot.
func (s *Server) pull(ctx context.Context, v viewer, cur string, limit int, buf *bytes.Buffer) error {
	now := s.now()
	rt, err := s.db.BeginRead(ctx)
	if err != nil {
		return err
	}
	defer rt.Rollback()

	reset := false
	c, ok := parseCursor(cur)
	switch {
	case cur == "":
		c = cursor{snapshot: true}
	case !ok || c.epoch != s.epoch || now.UnixMilli()-c.issued > s.cfg.ChangeLogRetention.Milliseconds():
		reset = true
		c = cursor{snapshot: true}
	}
	c.epoch = s.epoch
	// The page in one look (the snapshot makes the order of reads
	// irrelevant): where a fresh snapshot starts, the client's
	// lastMutationId, the checksum's cache key, the changes, and the
	// visible versions when the cached checksum no longer holds.
	fresh := c.snapshot && c.seq == 0
	q := store.PullQuery{
		Head: store.PullHeadQuery{ClientID: v.clientID, Scope: scopeOf(v.user), UserID: v.user.ID,
			Seqs: hasChecksum(v.user), MaxSeq: fresh},
		Changes:  store.ChangeQuery{Scope: scopeOf(v.user), UserID: v.user.ID, ClientID: v.clientID, After: c.seq, Limit: limit + 1},
		Versions: hasChecksum(v.user),
	}
	switch {
	case fresh:
		// A fresh snapshot has nothing to revoke: every revocation is at
		// or before where it starts.
		q.Changes.RevokedAfter = math.MaxInt64
	case c.snapshot:
		// Nothing but what left the view while the snapshot was paged.
		q.Changes.RevokedAfter = c.start
	}
	cached, haveSum := s.sums.get(v.user.ID)
	haveSum = haveSum && cached.scope == checksumScope(v.user)
	if haveSum {
		q.Known = &[2]int64{cached.a, cached.b}
	}
	buf.WriteString(`{"changes":[`)
	n := 0
	hasMore := false
	page, err := rt.ReadPull(ctx, q, func(ch *store.Change) error {
		if n == limit {
			hasMore = true // the one row past the page
			return nil
		}
		if n%64 == 63 && ctx.Err() != nil {
			return ctx.Err() // the client went away: stop reading
		}
		c.seq = ch.Seq
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		id, orderID := ch.EntityID, ch.OrderID
		switch ch.Type {
		case store.TypeRevoke:
			writeChange(buf, streetdesk.ChangeWorkOrder, streetdesk.OpRevoke, orderID, orderID, ch.Version, "revoke", ch.Extra)
		case streetdesk.ChangeMutationResult:
			mid := id[strings.LastIndexByte(id, '/')+1:]
			writeChange(buf, ch.Type, streetdesk.OpUpsert, mid, orderID, 0, "result", ch.Extra)
		case streetdesk.ChangeWorkOrder:
			writeChange(buf, ch.Type, streetdesk.OpUpsert, id, orderID, ch.Version, "order", ch.Data)
		case streetdesk.ChangeNote:
			writeChange(buf, ch.Type, streetdesk.OpUpsert, id, orderID, 0, "note", ch.Data)
		case streetdesk.ChangePhotoRef:
			writeChange(buf, ch.Type, streetdesk.OpUpsert, id, orderID, 0, "photo", ch.Data)
		case streetdesk.ChangeResolution:
			writeChange(buf, ch.Type, streetdesk.OpUpsert, id, orderID, 0, "resolution", ch.Data)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if fresh {
		c.start = page.MaxSeq
	}
	var last int64
	if page.ClientFound {
		if page.Client.UserID != v.user.ID {
			return streetdesk.Errorf(streetdesk.EFORBIDDEN, "this clientId belongs to another user")
		}
		last = page.Client.LastMutationID
	}
	// Versions read are cached even for a page with more to come: the
	// snapshot's last page then finds them current.
	sum := cached.sum
	if page.VersionsRead {
		sum = streetdesk.ComputeChecksum(page.Pairs)
		s.sums.put(v.user.ID, checksumEntry{checksumScope(v.user), page.ScopeSeq, page.UserSeq, sum})
	}
	buf.WriteString(`]`)
	if !hasMore {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !hasChecksum(v.user) {
			sum = streetdesk.ComputeChecksum(nil)
		}
		b, _ := json.Marshal(sum)
		buf.WriteString(`,"checksum":`)
		buf.Write(b)
		c.snapshot = false
	}
	c.issued = now.UnixMilli()
	fmt.Fprintf(buf, `,"cursor":%q,"hasMore":%t,"reset":%t,"lastMutationId":%d,"serverTime":%q,"features":`+platformFeatures+`}`,
		c.encode(), hasMore, reset, last, now.Format(time.RFC3339Nano))
	buf.WriteByte('\n')
	return nil
}

func writeChange(buf *bytes.Buffer, typ, op, id, orderID string, version int64, field string, data []byte) {
	buf.WriteString(`{"type":`)
	writeString(buf, typ)
	buf.WriteString(`,"op":`)
	writeString(buf, op)
	buf.WriteString(`,"id":`)
	writeString(buf, id)
	if orderID != "" {
		buf.WriteString(`,"orderId":`)
		writeString(buf, orderID)
	}
	if version != 0 {
		buf.WriteString(`,"version":`)
		buf.WriteString(strconv.FormatInt(version, 10))
	}
	if len(data) > 0 {
		buf.WriteString(`,"`)
		buf.WriteString(field)
		buf.WriteString(`":`)
		buf.Write(data)
	}
	buf.WriteByte('}')
}

// writeString writes an id as a JSON string (ids are validated ASCII; the
// fallback covers anything else).
func writeString(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			b, _ := json.Marshal(s)
			buf.Write(b)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}

// checksumEntry is a user's checksum and where it was computed: the
// scope (role, team, assignee) and the latest change-log numbers of the
// scope (a) and of the user (b). Every change to a visible order gives it a
// new number in the user's (or team's) range, and an order leaving the view
// adds a revocation in the user's range; the numbers are read in the page's
// own snapshot, so the cache needs no invalidation, also when other
// instances write to the database. The cache is bounded by
// ChecksumCacheBytes and drops the least recently used users first.
type checksumEntry struct {
	scope string
	a, b  int64
	sum   streetdesk.Checksum
}

// checksumEntrySize is what an entry costs in memory, as the cache counts
// it: the strings plus the map, list and entry overhead.
func checksumEntrySize(userID string, e checksumEntry) int {
	return 176 + len(userID) + len(e.scope) + len(e.sum.Hash)
}

func checksumScope(u *streetdesk.User) string {
	sc := scopeOf(u)
	return string(u.Role) + "/" + sc.TeamID + "/" + sc.AssigneeID
}

// hasChecksum reports whether u's pulls carry a checksum of a visible set
// (street roles; others' is the empty set's).
func hasChecksum(u *streetdesk.User) bool {
	return u.Role == streetdesk.RoleLead || u.Role == streetdesk.RoleCaseworker
}

func visibleChecksum(ctx context.Context, q store.Reader, u *streetdesk.User) (streetdesk.Checksum, error) {
	if !hasChecksum(u) {
		return streetdesk.ComputeChecksum(nil), nil
	}
	pairs, err := q.Versions(ctx, scopeOf(u))
	if err != nil {
		return streetdesk.Checksum{}, err
	}
	return streetdesk.ComputeChecksum(pairs), nil
}
