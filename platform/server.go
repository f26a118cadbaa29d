// Package platform is the reference central platform: the stand-in for the
// city's 12345 platform in development, demos and tests. It is a real HTTP
// server (API in docs/protocol.md) over its own database — an embedded SQLite
// file (sqlitestore) or PostgreSQL (pgstore), behind store.Store — that enforces
// roles, the lifecycle (streetdesk.Apply), idempotency and the conflict
// matrix of the sync protocol.
package platform

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	gojson "github.com/goccy/go-json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
	tusd "github.com/tus/tusd/v2/pkg/handler"
	"golang.org/x/crypto/bcrypt"
)

// Config configures a platform server.
type Config struct {
	// DBPath is the database: a SQLite file (created if missing) or a
	// PostgreSQL URL (postgres://…), which needs MediaDir. Several
	// instances may serve one PostgreSQL database; they then need one
	// MediaDir too (a shared volume).
	DBPath, MediaDir string
	// DBMaxConns bounds a PostgreSQL pool (default 16); a request waits at
	// most DBWait (default 2 s) for a connection, then gets 503.
	DBMaxConns int
	DBWait     time.Duration
	Logger     *slog.Logger
	Now        func() time.Time     // injectable clock
	Calendar   *streetdesk.Calendar // default streetdesk.DefaultCalendar()
	Taxonomy   *streetdesk.Taxonomy // default streetdesk.SampleTaxonomy()
	TokenTTL   time.Duration        // default 12h
	// TokenCacheTTL is how long a checked access token is trusted without
	// reading the store again (default 5 s; negative: never). Logout and
	// refresh take effect at once on the instance that served them; another
	// instance on the same database may accept the spent token this long.
	TokenCacheTTL time.Duration
	// ChecksumCacheBytes bounds the cache of visible-set checksums (default
	// 24 MiB, about 90,000 users: a city on one instance); past it the least
	// recently used go.
	ChecksumCacheBytes int
	RefreshTTL         time.Duration // default 30 days
	// ChangeLogRetention bounds how old a pull cursor may be before the
	// client gets a reset (default 90 days; mutation results are kept as long).
	ChangeLogRetention time.Duration
	UploadExpiry       time.Duration // unfinished uploads expire (default 7 days)
	// BcryptCost is the password hashing cost (default bcrypt.DefaultCost;
	// tests use bcrypt.MinCost).
	BcryptCost int
	// LoginMaxFailures failed logins per account (and 4× that per address)
	// within LoginWindow lock further attempts for the rest of the window.
	// The counts are in the database, shared by every instance.
	LoginMaxFailures int           // default 5
	LoginWindow      time.Duration // default 5 minutes
	// MaxInFlight requests run at once (default 64); up to MaxQueued more
	// (default 1024) wait, each at most QueueWait (default 1 s), and the
	// rest are answered 503 with Retry-After. Long transfers (photo uploads,
	// package downloads) have MaxTransfers slots of their own (default 16),
	// with the same line.
	MaxInFlight, MaxQueued, MaxTransfers int
	QueueWait                            time.Duration
	// MaxWaits bounds the long polls held at once (default 10,000); the
	// next ones get 503 with Retry-After and the desks poll meanwhile.
	MaxWaits int
	Hooks    Hooks // fault injection for tests (zero value = none)
	// Open311ReadsPerMinute bounds the requests to the public Open311 API
	// per client address (default 120; negative: no limit), and
	// Open311PostsPerMinute the POSTs per api_key (default 30): beyond
	// them, 429 with Retry-After. Per instance (ratelimit.go).
	Open311ReadsPerMinute, Open311PostsPerMinute int
	// ReleasesDir is the folder of desktop packages served by
	// /v1/client/latest and /v1/client/download ("" = none published).
	ReleasesDir string
}

// Hooks inject faults, for tests.
type Hooks struct {
	// BeforeCommit runs after a mutation was applied inside the push
	// transaction; an error rolls the whole push back and answers 503.
	BeforeCommit func(m streetdesk.Mutation) error
	// AfterCommit runs after the push committed; an error answers 503 although
	// the effects are durable (the lost-response case).
	AfterCommit func(m streetdesk.Mutation) error
	// Poison makes the platform treat a mutation as a permanent server-side
	// failure: it is rejected with code SERVER_ERROR and marked processed.
	Poison func(m streetdesk.Mutation) bool
	// StoreFault runs before the store operation op ("authenticate"; "push":
	// one push in a group's transaction); an error stands in for the
	// database failing there.
	StoreFault func(op string) error
}

// storeFault runs Hooks.StoreFault, if any, for op.
func (s *Server) storeFault(op string) error {
	if h := s.cfg.Hooks.StoreFault; h != nil {
		return h(op)
	}
	return nil
}

// Server is the platform: the HTTP API over a store.Store.
type Server struct {
	cfg      Config
	log      *slog.Logger
	db       store.Store
	epoch    string
	tus      *tusd.Handler
	tusStore tusStore
	mux      *http.ServeMux
	tokens   *tokenCache
	zslots   chan struct{} // compressSlots

	slots, transferSlots *limiter
	// open311Reads limits the Open311 API per client address,
	// open311Posts its POSTs per api_key (hash).
	open311Reads, open311Posts *rateLimit

	pushMu   sync.Mutex
	groups   pushGroups // pushes sharing a transaction (pushgroup.go)
	pushBusy map[string]bool

	sums *lru[string, checksumEntry] // user id → cached visible-set checksum

	patterns []string // "METHOD /path" of every endpoint, for 405 answers
	burst    burstLog // transient failures

	releases *releases // nil without Config.ReleasesDir
	trackKey trackKey  // the progress page's signing key (track.go)

	evidenceState // evidence.go

	waits     *waitHub     // held long polls (wait.go)
	held      atomic.Int64 // long polls held, against MaxWaits
	stopWatch context.CancelFunc
	drain     chan struct{} // closed: held waits answer, new ones get 503
	drainOnce sync.Once

	closeOnce sync.Once
	done      chan struct{}
	bg        sync.WaitGroup
}

// Open opens (creating if needed) the platform database and media store.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DBPath == "" {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "platform: DBPath is required")
	}
	if cfg.MediaDir == "" {
		if IsPostgres(cfg.DBPath) {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "platform: a PostgreSQL database needs a media directory (--media)")
		}
		cfg.MediaDir = cfg.DBPath + ".media"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Calendar == nil {
		cfg.Calendar = streetdesk.DefaultCalendar()
	}
	cfg.Calendar.SetLogger(cfg.Logger)
	if cfg.Taxonomy == nil {
		cfg.Taxonomy = streetdesk.SampleTaxonomy()
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.ChecksumCacheBytes <= 0 {
		cfg.ChecksumCacheBytes = 24 << 20
	}
	if cfg.TokenCacheTTL == 0 {
		cfg.TokenCacheTTL = 5 * time.Second
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 30 * 24 * time.Hour
	}
	if cfg.ChangeLogRetention <= 0 {
		cfg.ChangeLogRetention = 90 * 24 * time.Hour
	}
	if cfg.UploadExpiry <= 0 {
		cfg.UploadExpiry = 7 * 24 * time.Hour
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	if cfg.LoginMaxFailures <= 0 {
		cfg.LoginMaxFailures = 5
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 5 * time.Minute
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 64
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 1024
	}
	if cfg.MaxTransfers <= 0 {
		cfg.MaxTransfers = 16
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = time.Second
	}
	if cfg.MaxWaits <= 0 {
		cfg.MaxWaits = 10000
	}
	if cfg.Open311ReadsPerMinute == 0 {
		cfg.Open311ReadsPerMinute = 120
	}
	if cfg.Open311PostsPerMinute == 0 {
		cfg.Open311PostsPerMinute = 30
	}
	for _, d := range []string{cfg.MediaDir, filepath.Join(cfg.MediaDir, "uploads"), filepath.Join(cfg.MediaDir, "sha256")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("platform: media dir: %w", err)
		}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, pushBusy: map[string]bool{}, done: make(chan struct{}),
		waits: newWaitHub(), drain: make(chan struct{}),
		sums:   newLRU(cfg.ChecksumCacheBytes, checksumEntrySize),
		tokens: newTokenCache(cfg.TokenCacheTTL), zslots: make(chan struct{}, compressSlots()),
		slots:         newLimiter(cfg.MaxInFlight, cfg.MaxQueued, cfg.QueueWait),
		transferSlots: newLimiter(cfg.MaxTransfers, cfg.MaxQueued, cfg.QueueWait)}
	s.open311Reads, s.open311Posts = newRateLimit(cfg.Open311ReadsPerMinute, s.now), newRateLimit(cfg.Open311PostsPerMinute, s.now)
	var err error
	if s.db, err = openStore(ctx, cfg, false); err != nil {
		return nil, err
	}
	// The epoch names the database: cursors from another one (or from a
	// restored one with a new epoch) reset.
	if s.epoch, err = s.db.Epoch(ctx, randomHex(4)); err != nil {
		return nil, errors.Join(fmt.Errorf("platform: epoch: %w", err), s.db.Close())
	}
	if err := s.setupUploads(); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.ReleasesDir != "" {
		s.releases = newReleases(cfg.ReleasesDir)
	}
	s.routes()
	s.watch()
	return s, nil
}

// Close stops background work and closes the database.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		s.DrainWaits()
		if s.stopWatch != nil {
			s.stopWatch()
		}
		s.bg.Wait()
		err = s.db.Close()
	})
	return err
}

// RunMaintenance expires unfinished uploads and prunes old revocations and
// sign-in failure counts every
// interval until ctx ends or the server closes. serve runs it.
func (s *Server) RunMaintenance(ctx context.Context, interval time.Duration) {
	s.bg.Add(1)
	defer s.bg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-t.C:
			if n, err := s.ExpireUploads(ctx); err != nil {
				s.log.Error("expire uploads", "err", err)
			} else if n > 0 {
				s.log.Info("expired uploads", "count", n)
			}
			if err := s.pruneChangeLog(ctx); err != nil {
				s.log.Error("prune change log", "err", err)
			}
			if n, err := s.PruneResults(ctx); err != nil {
				s.log.Error("prune mutation results", "err", err)
			} else if n > 0 {
				s.log.Info("pruned mutation results", "count", n)
			}
		}
	}
}

func (s *Server) pruneChangeLog(ctx context.Context) error {
	return errors.Join(s.db.PruneRevocations(ctx, s.now().Add(-s.cfg.ChangeLogRetention)),
		s.db.PruneLoginFailures(ctx, s.now().Add(-s.cfg.LoginWindow)), s.pruneTrack(ctx))
}

// pruneBatch is how many stored results one statement of PruneResults
// drops: each batch is a short transaction of its own, so pushes never wait
// long behind the job.
const pruneBatch = 5000

// PruneResults drops the stored mutation results older than the change-log
// retention, with their change-log entries, and returns how many it
// dropped (none while another instance on the database runs it). A cursor
// that old is reset anyway; a resend that old is answered as one whose
// result the platform never stored (docs/protocol.md §11). serve runs it
// periodically.
func (s *Server) PruneResults(ctx context.Context) (int, error) {
	release, ok, err := s.db.TryJobLock(ctx, "prune-results")
	if err != nil || !ok {
		return 0, err
	}
	defer release()
	before := s.now().Add(-s.cfg.ChangeLogRetention)
	total := 0
	for {
		n, err := s.db.PruneResults(ctx, before, pruneBatch)
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Handler returns the HTTP API.
func (s *Server) Handler() http.Handler { return s.middleware(s.mux) }

func (s *Server) routes() {
	mux := http.NewServeMux()
	m := &patternMux{ServeMux: mux, s: s}
	m.HandleFunc("POST /v1/auth/login", s.handleLogin)
	m.HandleFunc("POST /v1/auth/refresh", s.handleRefresh)
	m.HandleFunc("POST /v1/auth/logout", s.authed(s.handleLogout))
	m.HandleFunc("GET /v1/me", s.authed(s.handleMe))

	m.HandleFunc("POST /v1/sync/push", s.street(s.handlePush))
	m.HandleFunc("GET /v1/sync/pull", s.street(s.handlePull))
	m.HandleWait("GET /v1/sync/wait", s.street(s.handleWait))

	m.HandleFunc("GET /v1/blobs/sha256/{hex}", s.authed(s.handleBlob))
	m.HandleFunc("HEAD /v1/blobs/sha256/{hex}", s.authed(s.handleBlob))
	up := http.StripPrefix("/v1/uploads", s.tus)
	m.Handle("/v1/uploads", s.limit(s.transferSlots, s.uploadAuth(up)))
	m.Handle("/v1/uploads/", s.limit(s.transferSlots, s.uploadAuth(up)))

	m.HandleFunc("GET /v1/team", s.street(s.handleTeam))
	lead := []streetdesk.Role{streetdesk.RoleLead}
	m.HandleFunc("POST /v1/team/reassign", s.as(lead, s.handleReassign))
	m.HandleFunc("PUT /v1/team/settings", s.as(lead, s.handleTeamSettings))
	m.HandleFunc("GET /v1/team/metrics", s.as(lead, s.handleMetrics))

	m.HandleFunc("GET /v1/client/latest", s.authed(s.handleClientLatest))
	m.HandleTransfer("GET /v1/client/download/{file}", s.authed(s.handleClientDownload))

	// Each endpoint admits the roles that may ever do what it does, before
	// reading the request.
	m.HandleFunc("POST /v1/centre/orders", s.as([]streetdesk.Role{streetdesk.RoleDispatcher}, s.handleDispatch))
	m.HandleFunc("GET /v1/centre/orders", s.centre(s.handleCentreList))
	m.HandleFunc("GET /v1/centre/orders/{id}", s.centre(s.handleCentreGet))
	m.HandleFunc("GET /v1/centre/audit", s.as([]streetdesk.Role{streetdesk.RoleDispatcher}, s.handleAuditFlags))
	m.HandleFunc("POST /v1/centre/orders/{id}/cancel", s.as(opRoles(streetdesk.OpCancel), s.handleCancel))
	m.HandleFunc("POST /v1/centre/orders/{id}/return", s.as(opRoles(streetdesk.OpApproveReturn, streetdesk.OpRejectReturn), s.handleReturnDecision))
	m.HandleFunc("POST /v1/centre/orders/{id}/extension", s.as(opRoles(streetdesk.OpApproveExtension, streetdesk.OpRejectExtension), s.handleExtensionDecision))
	m.HandleFunc("POST /v1/centre/orders/{id}/callback", s.as(opRoles(streetdesk.OpClose, streetdesk.OpReopen), s.handleCallback))
	m.HandleFunc("POST /v1/centre/orders/{id}/supervise", s.as(opRoles(streetdesk.OpSupervise, streetdesk.OpUnsupervise), s.handleSupervise))
	s.eventRoutes(m)

	s.open311Routes(m)
	s.trackRoutes(m)

	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, streetdesk.ENOTFOUND, "no such endpoint")
	})
	// A known path with the wrong method gets a JSON 405 too (the mux's own
	// answer is plain text). A pattern with a method is more specific than
	// the same path without one, so these only catch the other methods.
	allow := map[string][]string{}
	for _, p := range s.patterns {
		method, path, _ := strings.Cut(p, " ")
		allow[path] = append(allow[path], method)
	}
	for path, methods := range allow {
		m.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, http.StatusMethodNotAllowed, streetdesk.EINVALID, "method not allowed")
		})
	}
	s.mux = mux
}

// patternMux remembers the method patterns it registers, and runs their
// handlers under the server's request limiter (Handle, for uploads, does
// not: they bring the transfer limiter).
type patternMux struct {
	*http.ServeMux
	s *Server
}

func (p *patternMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	if strings.Contains(pattern, " ") {
		p.s.patterns = append(p.s.patterns, pattern)
	}
	p.ServeMux.Handle(pattern, p.s.limit(p.s.slots, http.HandlerFunc(h)))
}

// HandleTransfer registers a handler that may hold its connection for long
// (a download of a desktop package over a slow line): it runs under the
// transfer limiter, so it never takes the slots of short requests.
func (p *patternMux) HandleTransfer(pattern string, h func(http.ResponseWriter, *http.Request)) {
	p.s.patterns = append(p.s.patterns, pattern)
	p.ServeMux.Handle(pattern, p.s.limit(p.s.transferSlots, http.HandlerFunc(h)))
}

type ctxKey int

const (
	ctxUser ctxKey = iota
	ctxRequestID
)

// statusRecorder remembers the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// middleware adds request ids, recovers panics and logs one line per request
// (method, path without the query, status, duration — never headers or
// bodies, so no token, password or phone number reaches the log).
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get("X-Request-ID")
		if rid == "" || len(rid) > 128 || !printableASCII(rid) {
			rid = randomHex(8)
		}
		w.Header().Set("X-Request-ID", rid)
		rec := &statusRecorder{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), ctxRequestID, rid)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "request_id", rid, "panic", fmt.Sprint(p))
				if rec.status == 0 {
					writeError(rec, http.StatusInternalServerError, streetdesk.EINTERNAL, "internal error")
				}
			}
			path := r.URL.Path
			if len(path) > 200 {
				path = path[:200]
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http sends an empty 200
			}
			s.log.Info("request", "request_id", rid, "method", r.Method, "path", path,
				"status", status, "ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, streetdesk.EINTERNAL, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeErrorBody(w, status, streetdesk.ErrorBody{Error: streetdesk.ErrorDetail{Code: code, Message: msg}})
}

func writeErrorBody(w http.ResponseWriter, status int, body streetdesk.ErrorBody) {
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Del("Content-Encoding")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

// fail answers with the HTTP status matching an application error; a
// database that is unavailable for now is 503 with Retry-After.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		s.unavailable(w, r, "store", err)
		return
	}
	code := streetdesk.ErrorCode(err)
	status := http.StatusInternalServerError
	switch code {
	case streetdesk.EINVALID:
		status = http.StatusBadRequest
	case streetdesk.ENOTFOUND:
		status = http.StatusNotFound
	case streetdesk.ECONFLICT:
		status = http.StatusConflict
	case streetdesk.EFORBIDDEN:
		status = http.StatusForbidden
	case streetdesk.EUNAUTHORIZED:
		status = http.StatusUnauthorized
	}
	var te *streetdesk.TransitionError
	if errors.As(err, &te) && te.Code == streetdesk.EINVALID {
		status, code = http.StatusConflict, streetdesk.ECONFLICT
	}
	if status == http.StatusInternalServerError {
		s.log.Error("internal error", "request_id", r.Context().Value(ctxRequestID), "err", err)
	}
	writeError(w, status, code, streetdesk.ErrorMessage(err))
}

// unavailable answers 503 with Retry-After for a transient failure (the
// database busy or failing): the client keeps what it has and retries.
// Errors are logged once per burst; a client that went away is not logged.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, op string, err error) {
	if r.Context().Err() == nil {
		s.burst.log(s.log, op+" failed", "request_id", r.Context().Value(ctxRequestID), "err", err)
	}
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, streetdesk.EINTERNAL, "temporary failure; retry")
}

// burstLog logs the first error of a burst and counts the others until it
// logs again after a quiet interval: a database failing under load would
// otherwise write a line per request.
type burstLog struct {
	mu         sync.Mutex
	quietUntil time.Time
	suppressed int
}

const burstQuiet = 10 * time.Second

func (b *burstLog) log(l *slog.Logger, msg string, args ...any) {
	now := time.Now()
	b.mu.Lock()
	if now.Before(b.quietUntil) {
		b.suppressed++
		b.mu.Unlock()
		return
	}
	n := b.suppressed
	b.suppressed, b.quietUntil = 0, now.Add(burstQuiet)
	b.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed_since_last", n)
	}
	l.Error(msg, args...)
}

// httpError is an error that carries its own status and protocol code.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// decodeBody reads a JSON request body: JSON content type (415), size limit
// (413), gzip content encoding, valid UTF-8 (400), strict decoding (400).
func decodeBody(r *http.Request, limit int64, v any) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, streetdesk.EINVALID, "Content-Type must be application/json"}
	}
	var body io.Reader = r.Body
	switch strings.ToLower(r.Header.Get("Content-Encoding")) {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(io.LimitReader(r.Body, limit+1))
		if err != nil {
			return &httpError{http.StatusBadRequest, streetdesk.EINVALID, "body is not valid gzip"}
		}
		defer zr.Close()
		body = zr
	default:
		return &httpError{http.StatusUnsupportedMediaType, streetdesk.EINVALID, "unsupported Content-Encoding"}
	}
	var buf bytes.Buffer
	if body == r.Body && r.ContentLength > 0 && r.ContentLength <= limit {
		// Read into one buffer of the announced size: ReadAll's doubling
		// copied a 2 MB push ~3 times over. At most limit, as a whole
		// body would take, and only for a caller the route let in.
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(body, limit+1))
	data := buf.Bytes()
	if err != nil {
		return &httpError{http.StatusBadRequest, streetdesk.EINVALID, "could not read the body"}
	}
	if int64(len(data)) > limit {
		return &httpError{http.StatusRequestEntityTooLarge, streetdesk.EINVALID, fmt.Sprintf("body larger than %d bytes", limit)}
	}
	if !utf8.Valid(data) {
		return &httpError{http.StatusBadRequest, streetdesk.EINVALID, "body is not valid UTF-8"}
	}
	dec := gojson.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &httpError{http.StatusBadRequest, streetdesk.EINVALID, "malformed JSON: " + err.Error()}
	}
	if dec.More() {
		return &httpError{http.StatusBadRequest, streetdesk.EINVALID, "trailing data after the JSON body"}
	}
	return nil
}

func (s *Server) decodeOrFail(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	if err := decodeBody(r, limit, v); err != nil {
		var he *httpError
		if errors.As(err, &he) {
			writeError(w, he.status, he.code, he.msg)
		} else {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, err.Error())
		}
		return false
	}
	return true
}

const smallBody = 64 << 10

// compressSlots is how many pages may be compressed at once: two per core
// keeps the cores busy while one page waits for the network.
func compressSlots() int { return 2 * runtime.GOMAXPROCS(0) }

// zstdWriters recycles zstd compressors for pull pages: the fastest level,
// one goroutine each (compress bounds how many run at once), and a window
// of at most 1 MiB, so a desk decodes a page with little memory.
var zstdWriters = sync.Pool{New: func() any {
	zw, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(1<<20))
	return zw
}}

// gzipWriters recycles compressors: each holds about a megabyte of tables.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}
