package platform

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streetdesk/streetdesk"
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

func (v viewer) clientKey() string {
	if v.clientID == "" {
		return "\x00none"
	}
	return v.clientID
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
	body, gzipped := raw.Bytes(), false
	if acceptsGzip(r) && raw.Len() >= gzipFrom {
		z, err := s.compress(r.Context(), body)
		if err != nil {
			return // the client went away while the page waited for a compressor
		}
		defer zBuffers.put(z)
		body, gzipped = z.Bytes(), true
		pageBuffers.put(raw) // only the compressed page waits for the client
		raw = nil
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Add("Vary", "Accept-Encoding")
	if gzipped {
		h.Set("Content-Encoding", "gzip")
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
	gzipFrom = 1400    // smaller pages fit one TCP segment: sent as they are
	keepPage = 2 << 20 // larger buffers are not pooled
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

// compress gzips a page. A compressor holds about a megabyte of tables and
// keeps a core busy, so at most compressSlots pages are compressed at once;
// the others wait (until their client goes away).
func (s *Server) compress(ctx context.Context, page []byte) (*bytes.Buffer, error) {
	select {
	case s.zslots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.zslots }()
	z := zBuffers.get()
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

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// pull builds one page in one read transaction, so the changes, the
// lastMutationId and the checksum describe the same snapshot.
func (s *Server) pull(ctx context.Context, v viewer, cur string, limit int, buf *bytes.Buffer) error {
	now := s.now()
	rt, err := s.beginRead(ctx)
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
	if c.snapshot && c.seq == 0 {
		if err := rt.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM change_log`).Scan(&c.start); err != nil {
			return err
		}
	}

	var last int64
	if v.clientID != "" {
		var owner string
		err := rt.QueryRowContext(ctx, `SELECT user_id, last_mutation_id FROM clients WHERE id = ?`, v.clientID).Scan(&owner, &last)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case owner != v.user.ID:
			return streetdesk.Errorf(streetdesk.EFORBIDDEN, "this clientId belongs to another user")
		}
	}

	scope, scopeArg := `c.assignee_id = ?1`, v.user.ID
	if v.user.Role == streetdesk.RoleLead {
		scope, scopeArg = `c.team_id = ?1`, v.user.TeamID
	}
	revokeFilter := ""
	if c.snapshot {
		// A fresh snapshot has nothing to revoke, except what left the view
		// while it was being paged.
		revokeFilter = ` AND c.seq > ?6`
	}
	// Three index ranges (the user's orders, revocations, this client's
	// results), merged in sequence order: SQLite walks them in step and
	// stops at the limit.
	cols := `SELECT c.seq, c.type, c.entity_id, c.order_id, c.extra, c.version,
		CASE c.type
		  WHEN 'workOrder' THEN (SELECT data FROM orders WHERE id = c.entity_id)
		  WHEN 'note' THEN (SELECT data FROM notes WHERE id = c.entity_id)
		  WHEN 'photoRef' THEN (SELECT data FROM photo_refs WHERE id = c.entity_id)
		  WHEN 'resolution' THEN (SELECT data FROM resolutions WHERE id = c.entity_id)
		  ELSE '' END
		FROM change_log c `
	query := cols + `WHERE ` + scope + ` AND c.seq > ?4
		UNION ALL ` + cols + `WHERE c.user_id = ?2 AND c.seq > ?4` + revokeFilter + `
		UNION ALL ` + cols + `WHERE c.client_id = ?3 AND c.seq > ?4
		ORDER BY 1 LIMIT ?5`
	rows, err := rt.QueryContext(ctx, query, scopeArg, v.user.ID, v.clientKey(), c.seq, limit+1, c.start)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	buf.WriteString(`{"changes":[`)
	n := 0
	hasMore := false
	for rows.Next() {
		if n == limit {
			hasMore = true
			break
		}
		if n%64 == 63 && ctx.Err() != nil {
			rows.Close()
			return ctx.Err() // the client went away: stop reading
		}
		var seq, ver int64
		var typ, id, orderID string
		var extra, data sql.RawBytes // valid until the next row: copied into buf at once
		if err := rows.Scan(&seq, &typ, &id, &orderID, &extra, &ver, &data); err != nil {
			rows.Close()
			return err
		}
		c.seq = seq
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		switch typ {
		case "revoke":
			writeChange(buf, streetdesk.ChangeWorkOrder, streetdesk.OpRevoke, orderID, orderID, ver, "revoke", extra)
		case streetdesk.ChangeMutationResult:
			mid := id[strings.LastIndexByte(id, '/')+1:]
			writeChange(buf, typ, streetdesk.OpUpsert, mid, orderID, 0, "result", extra)
		case streetdesk.ChangeWorkOrder:
			writeChange(buf, typ, streetdesk.OpUpsert, id, orderID, ver, "order", data)
		case streetdesk.ChangeNote:
			writeChange(buf, typ, streetdesk.OpUpsert, id, orderID, 0, "note", data)
		case streetdesk.ChangePhotoRef:
			writeChange(buf, typ, streetdesk.OpUpsert, id, orderID, 0, "photo", data)
		case streetdesk.ChangeResolution:
			writeChange(buf, typ, streetdesk.OpUpsert, id, orderID, 0, "resolution", data)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	buf.WriteString(`]`)
	if !hasMore {
		if err := ctx.Err(); err != nil {
			return err
		}
		sum, err := s.cachedChecksum(ctx, rt, v.user)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(sum)
		buf.WriteString(`,"checksum":`)
		buf.Write(b)
		c.snapshot = false
	}
	c.issued = now.UnixMilli()
	fmt.Fprintf(buf, `,"cursor":%q,"hasMore":%t,"reset":%t,"lastMutationId":%d,"serverTime":%q}`,
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

// checksumEntry is a user's checksum and the change-log positions it was
// computed at.
type checksumEntry struct {
	key string
	sum streetdesk.Checksum
}

// checksumEntrySize is what an entry costs in memory, as the cache counts
// it: the strings plus the map, list and entry overhead.
func checksumEntrySize(userID string, e checksumEntry) int {
	return 160 + len(userID) + len(e.key) + len(e.sum.Hash)
}

// cachedChecksum returns the visible set's checksum, recomputing it only
// when something in the user's scope changed: every change to a visible
// order gives it a new sequence number in the user's (or team's) range, and
// an order leaving the view adds a revocation in the user's range. The key
// is read in the page's own snapshot, so the cache needs no invalidation,
// also when other instances write to the database. It is bounded by
// ChecksumCacheBytes and drops the least recently used users first.
func (s *Server) cachedChecksum(ctx context.Context, q queryer, u *streetdesk.User) (streetdesk.Checksum, error) {
	var a, b int64
	scope, arg := `assignee_id = ?`, u.ID
	if u.Role == streetdesk.RoleLead {
		scope, arg = `team_id = ?`, u.TeamID
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE `+scope, arg).Scan(&a); err != nil {
		return streetdesk.Checksum{}, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE user_id = ?`, u.ID).Scan(&b); err != nil {
		return streetdesk.Checksum{}, err
	}
	key := fmt.Sprintf("%s/%s/%d/%d", u.Role, arg, a, b)
	if e, ok := s.sums.get(u.ID); ok && e.key == key {
		return e.sum, nil
	}
	sum, err := visibleChecksum(ctx, q, u)
	if err != nil {
		return sum, err
	}
	s.sums.put(u.ID, checksumEntry{key, sum})
	return sum, nil
}

func visibleChecksum(ctx context.Context, q queryer, u *streetdesk.User) (streetdesk.Checksum, error) {
	var rows *sql.Rows
	var err error
	switch u.Role {
	case streetdesk.RoleLead:
		rows, err = q.QueryContext(ctx, `SELECT id, version FROM orders WHERE team_id = ?`, u.TeamID)
	case streetdesk.RoleCaseworker:
		rows, err = q.QueryContext(ctx, `SELECT id, version FROM orders WHERE assignee_id = ? AND status NOT IN ('cancelled','returned')`, u.ID)
	default:
		return streetdesk.ComputeChecksum(nil), nil
	}
	if err != nil {
		return streetdesk.Checksum{}, err
	}
	defer rows.Close()
	var pairs []streetdesk.VersionPair
	for rows.Next() {
		var p streetdesk.VersionPair
		if err := rows.Scan(&p.ID, &p.Version); err != nil {
			return streetdesk.Checksum{}, err
		}
		pairs = append(pairs, p)
	}
	if err := rows.Err(); err != nil {
		return streetdesk.Checksum{}, err
	}
	return streetdesk.ComputeChecksum(pairs), nil
}
