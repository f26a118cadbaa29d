package sync

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
	gojson "github.com/goccy/go-json"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/streetdesk/streetdesk"
)

// Timeouts of a platform call: a connection that cannot be made or a server
// that does not answer is a transient failure the engine backs off from,
// never a hang.
const (
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSTimeout            = 10 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultCallTimeout           = 30 * time.Second
	DefaultPatchIdleTimeout      = 60 * time.Second
)

// TusVersion is the tus protocol the client speaks.
const TusVersion = "1.0.0"

// StatusChecksumMismatch is tus' answer when the finished upload's SHA-256
// does not match its name.
const StatusChecksumMismatch = 460

// TokenSource hands out bearer tokens. cmd implements it over the OS keyring
// (or uses Tokens). Refresh is called at most once per call after a 401 with
// the token that was rejected; it returns a new token or an error (the
// engine then pauses until sign-in).
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	Refresh(ctx context.Context, rejected string) (string, error)
}

// ClientOptions configure a Client.
type ClientOptions struct {
	BaseURL string // e.g. https://platform.example:8443
	// CAFile is a PEM file of extra root certificates (a private CA).
	CAFile string
	Tokens TokenSource
	// Transport replaces the HTTP transport (tests wrap it with faults).
	// When set, DialContext, CAFile and the transport timeouts are not used.
	Transport http.RoundTripper
	// DialContext replaces the dialer (tests wrap connections with faults).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	DialTimeout           time.Duration
	TLSTimeout            time.Duration
	ResponseHeaderTimeout time.Duration
	CallTimeout           time.Duration // per JSON call
	PatchIdleTimeout      time.Duration // tus PATCH: no progress for this long aborts it
	Logger                *slog.Logger
	UserAgent             string
}

// Client talks to the platform (docs/protocol.md). It is safe for
// concurrent use. It never retries on its own except a single retry after
// a token refresh; the engine owns retries.
type Client struct {
	base    *url.URL
	r       *resty.Client
	rWait   *resty.Client // long polls: a connection of their own, no header timeout
	hc      *http.Client
	opts    ClientOptions
	log     *slog.Logger
	session string
	seq     atomic.Int64
	mu      gosync.Mutex
	cid     string
	tokens  TokenSource
}

// NewClient builds a client. A bad CA file or URL is EINVALID.
func NewClient(opts ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "platform address %q is not an http(s) URL", opts.BaseURL)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.DialTimeout, DefaultDialTimeout)
	def(&opts.TLSTimeout, DefaultTLSTimeout)
	def(&opts.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	def(&opts.CallTimeout, DefaultCallTimeout)
	def(&opts.PatchIdleTimeout, DefaultPatchIdleTimeout)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	rt := opts.Transport
	if rt == nil {
		t, err := newTransport(opts)
		if err != nil {
			return nil, err
		}
		rt = t
	}
	hc := &http.Client{Transport: rt}
	waitRT := rt
	if t, ok := rt.(*http.Transport); ok && opts.Transport == nil {
		// A long poll answers after up to a minute by design: its own
		// transport has no response-header timeout (the call's deadline
		// bounds it) and its own idle connection, so a held wait never
		// holds up a push or a pull.
		t = t.Clone()
		t.ResponseHeaderTimeout = 0
		waitRT = t
	}
	newR := func(hc *http.Client) *resty.Client {
		return resty.NewWithClient(hc).
			SetRetryCount(0).
			SetLogger(quietLogger{}).
			SetHeader("User-Agent", userAgent(opts.UserAgent))
	}
	var sb [4]byte
	_, _ = rand.Read(sb[:])
	return &Client{base: u, r: newR(hc), rWait: newR(&http.Client{Transport: waitRT}), hc: hc, opts: opts, log: opts.Logger,
		session: hex.EncodeToString(sb[:]), tokens: opts.Tokens}, nil
}

func userAgent(s string) string {
	if s == "" {
		return "streetdesk-sync/1"
	}
	return s
}

func newTransport(opts ClientOptions) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	t.DialContext = d.DialContext
	if opts.DialContext != nil {
		t.DialContext = opts.DialContext
	}
	t.TLSHandshakeTimeout = opts.TLSTimeout
	t.ResponseHeaderTimeout = opts.ResponseHeaderTimeout
	t.MaxIdleConnsPerHost = 4
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "CA file: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "CA file %s holds no PEM certificate", opts.CAFile)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return t, nil
}

// quietLogger keeps resty from printing (it would log URLs with tokens in
// some modes); errors are returned and logged by the engine.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}

// SetClientID sets the client id used in X-Request-ID.
func (c *Client) SetClientID(id string) {
	c.mu.Lock()
	c.cid = id
	c.mu.Unlock()
}

// SetTokenSource replaces the token source (after a new sign-in).
func (c *Client) SetTokenSource(ts TokenSource) {
	c.mu.Lock()
	c.tokens = ts
	c.mu.Unlock()
}

func (c *Client) tokenSource() TokenSource {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens
}

// RequestID returns the next X-Request-ID: <clientId>-<session>-<n>.
func (c *Client) RequestID() string {
	c.mu.Lock()
	cid := c.cid
	c.mu.Unlock()
	if cid == "" {
		cid = "anon"
	}
	return fmt.Sprintf("%s-%s-%d", cid, c.session, c.seq.Add(1))
}

func (c *Client) url(path string) string { return c.base.String() + path }

// resolve turns a Location header into an absolute URL.
func (c *Client) resolve(loc string) (string, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	return c.base.ResolveReference(u).String(), nil
}

// call is one JSON request/response with the 401 → refresh → retry rule.
type call struct {
	op     string
	method string
	path   string
	query  url.Values
	body   any
	out    any // decoded from a 2xx application/json body; nil: no body expected
	auth   bool
	sync   bool // a sync call: 403 stops the engine instead of being an app error
	okNoCT bool // 2xx without a JSON body is fine (204)
	// hold is a long poll's longest answer time: the call's deadline is
	// that plus CallTimeout, and it runs on the long-poll transport.
	hold time.Duration
}

func (c *Client) do(ctx context.Context, k call) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout+k.hold)
	defer cancel()
	rc := c.r
	if k.hold > 0 {
		rc = c.rWait
	}
	for attempt := 0; ; attempt++ {
		rid := c.RequestID()
		// Asked for explicitly, so the transport leaves a compressed body
		// to inflate (zstd from a platform that has it, else gzip with a
		// faster inflater than net/http's, see inflate).
		req := rc.R().SetContext(ctx).SetHeader("X-Request-ID", rid).SetHeader("Accept", "application/json").
			SetHeader("Accept-Encoding", "zstd, gzip")
		var tok string
		if k.auth {
			var err error
			if tok, err = c.token(ctx, k.op); err != nil {
				return err
			}
			req.SetAuthToken(tok)
		}
		if k.query != nil {
			req.SetQueryParamsFromValues(k.query)
		}
		if k.body != nil {
			// goccy/go-json: a push of 1,000 mutations encodes in about
			// half encoding/json's time (same bytes: TestClientEncodesAsEncodingJSON).
			var b []byte
			var err error
			if p, ok := k.body.(*streetdesk.PushRequest); ok {
				b, err = encodePush(p)
			} else {
				b, err = gojson.Marshal(k.body)
			}
			if err != nil {
				return fmt.Errorf("%s: encode: %w", k.op, err)
			}
			// A reader, not the bytes: resty copies a []byte body twice
			// (into its buffer, then into the request's), 2 MB each for a
			// push of 1,000; http.NewRequest takes a *bytes.Reader's length.
			req.SetHeader("Content-Type", "application/json").SetBody(bytes.NewReader(b))
		}
		start := time.Now()
		// The body is decoded as it streams in (a 1,000-change pull page is
		// never held twice in memory).
		resp, err := req.SetDoNotParseResponse(true).Execute(k.method, c.url(k.path))
		if err != nil {
			return netError(k.op, rid, err)
		}
		body := resp.RawBody()
		c.log.Debug("platform call", "op", k.op, "request_id", rid, "status", resp.StatusCode(), "ms", time.Since(start).Milliseconds())
		if resp.StatusCode() == http.StatusUnauthorized && k.auth && attempt == 0 {
			drainBody(body)
			if _, rerr := c.tokenSource().Refresh(ctx, tok); rerr == nil {
				continue
			} else if e := AsError(rerr); e != nil && e.Kind == KindTransient {
				return rerr
			}
			return statusError(k.op, k.sync, rid, http.StatusUnauthorized, resp.Header(), nil)
		}
		in, err := inflate(resp.Header(), body)
		if err != nil {
			drainBody(body)
			return &Error{Kind: KindTransient, Op: k.op, Status: resp.StatusCode(), Code: CodeBadResponse, RequestID: rid, Err: err, Message: "malformed compressed answer"}
		}
		err = checkStream(k, rid, resp.StatusCode(), resp.Header(), in)
		_ = in.Close() // returns the inflater to its pool; cannot fail
		drainBody(body)
		return err
	}
}

// gzipReaders recycles inflaters (each holds a 32 KiB window and tables).
var gzipReaders gosync.Pool

// zstdReaders recycles zstd decoders (window of at most 8 MiB: a page
// comes with 1 MiB; more is refused as a malformed answer).
var zstdReaders gosync.Pool

// inflate returns the body to read: a zstd body decoded, a gzip body
// inflated with klauspost/compress (about twice as fast as compress/gzip
// on a pull page). Closing it returns the decoder, not the body.
func inflate(h http.Header, body io.ReadCloser) (io.ReadCloser, error) {
	if body == nil {
		return io.NopCloser(http.NoBody), nil
	}
	var (
		r   *pooled
		err error
	)
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))) {
	case "zstd":
		r, err = zstdReader(body)
	case "gzip":
		r, err = gzipReader(body)
	default:
		return io.NopCloser(body), nil
	}
	if err != nil {
		return nil, err
	}
	h.Del("Content-Encoding")
	h.Del("Content-Length")
	return r, nil
}

func zstdReader(body io.Reader) (*pooled, error) {
	zr, _ := zstdReaders.Get().(*zstd.Decoder)
	var err error
	if zr == nil {
		zr, err = zstd.NewReader(body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(8<<20), zstd.WithDecoderMaxMemory(64<<20))
	} else {
		err = zr.Reset(body)
	}
	if err != nil {
		return nil, err
	}
	return &pooled{zr, func() {
		_ = zr.Reset(nil) // drop the body; a decoder reset to nil cannot fail
		zstdReaders.Put(zr)
	}}, nil
}

func gzipReader(body io.Reader) (*pooled, error) {
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(body)
	} else {
		err = zr.Reset(body)
	}
	if err != nil {
		return nil, err
	}
	return &pooled{zr, func() { gzipReaders.Put(zr) }}, nil
}

// pooled reads from a decoder that goes back to its pool on Close (the
// body is the caller's to close).
type pooled struct {
	io.Reader
	release func()
}

func (p *pooled) Close() error {
	if p.release != nil {
		p.release()
		p.Reader, p.release = nil, nil
	}
	return nil
}

func (p *pooled) Read(b []byte) (int, error) {
	if p.Reader == nil {
		return 0, io.ErrClosedPipe
	}
	return p.Reader.Read(b)
}

func drainBody(b io.ReadCloser) {
	if b == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(b, 64<<10))
	_ = b.Close()
}

// checkStream validates a streamed response and decodes it into k.out.
func checkStream(k call, rid string, status int, h http.Header, body io.Reader) error {
	if body == nil {
		body = http.NoBody
	}
	if status >= 200 && status < 300 && k.out != nil && isJSON(h) {
		var err error
		if d, ok := k.out.(streamDecoder); ok {
			err = d.decode(body)
		} else {
			err = gojson.NewDecoder(body).Decode(k.out)
		}
		if err != nil {
			if k.okNoCT && errors.Is(err, io.EOF) {
				return nil
			}
			return &Error{Kind: KindTransient, Op: k.op, Status: status, Code: CodeBadResponse, RequestID: rid, Err: err, Message: "malformed JSON answer"}
		}
		if v, ok := k.out.(validator); ok {
			if err := v.validate(); err != nil {
				return &Error{Kind: KindTransient, Op: k.op, Status: status, Code: CodeBadResponse, RequestID: rid, Err: err, Message: err.Error()}
			}
		}
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(body, 64<<10))
	return check(k, rid, status, h, b)
}

func (c *Client) token(ctx context.Context, op string) (string, error) {
	ts := c.tokenSource()
	if ts == nil {
		return "", &Error{Kind: KindAuth, Op: op, Code: streetdesk.EUNAUTHORIZED, Message: "not signed in"}
	}
	tok, err := ts.Token(ctx)
	if err != nil || tok == "" {
		return "", &Error{Kind: KindAuth, Op: op, Code: streetdesk.EUNAUTHORIZED, Message: "not signed in", Err: err}
	}
	return tok, nil
}

func netError(op, rid string, err error) error {
	return &Error{Kind: KindTransient, Op: op, Code: CodeNetwork, RequestID: rid, Err: err}
}

func isJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// validator is implemented by response shapes that can check themselves.
type validator interface{ validate() error }

// check validates a response and translates failures into *Error.
func check(k call, rid string, status int, h http.Header, body []byte) error {
	if status >= 200 && status < 300 {
		if k.out == nil {
			return nil
		}
		if !isJSON(h) {
			if k.okNoCT && len(body) == 0 {
				return nil
			}
			// A hotspot's login page answers 200 text/html: that is "offline".
			return &Error{Kind: KindTransient, Op: k.op, Status: status, Code: CodeCaptivePortal, RequestID: rid,
				Message: "the answer was not JSON (" + h.Get("Content-Type") + "); a network login page?"}
		}
		if err := json.Unmarshal(body, k.out); err != nil {
			return &Error{Kind: KindTransient, Op: k.op, Status: status, Code: CodeBadResponse, RequestID: rid, Err: err, Message: "malformed JSON answer"}
		}
		if v, ok := k.out.(validator); ok {
			if err := v.validate(); err != nil {
				return &Error{Kind: KindTransient, Op: k.op, Status: status, Code: CodeBadResponse, RequestID: rid, Err: err, Message: err.Error()}
			}
		}
		return nil
	}
	return statusError(k.op, k.sync, rid, status, h, body)
}

func statusError(op string, syncCall bool, rid string, status int, h http.Header, body []byte) *Error {
	e := &Error{Op: op, Status: status, RequestID: rid}
	var eb streetdesk.ErrorBody
	jsonBody := isJSON(h) && json.Unmarshal(body, &eb) == nil && eb.Error.Code != ""
	if jsonBody {
		e.Code, e.Message, e.MutationID, e.Mismatch = eb.Error.Code, eb.Error.Message, eb.Error.MutationID, eb.Error.Mismatch
	}
	e.RetryAfter = parseRetryAfter(h.Get("Retry-After"), time.Now())
	switch {
	case status == http.StatusUnauthorized:
		e.Kind = KindAuth
	case status == http.StatusUpgradeRequired || e.Code == streetdesk.ErrVersionNotSupported:
		e.Kind = KindStop
		if e.Code == "" {
			e.Code = streetdesk.ErrVersionNotSupported
		}
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		e.Kind = KindTransient
	case e.Code == streetdesk.ErrPushInProgress:
		e.Kind = KindTransient
	case e.Code == streetdesk.ErrKeyPayloadMismatch:
		e.Kind = KindStop
	case status == http.StatusForbidden && syncCall:
		e.Kind = KindStop
	case !jsonBody && isHTML(h):
		// An HTML 4xx came from something in between (proxy, portal): treat
		// it as not reaching the platform. (tusd's own errors are text/plain.)
		e.Kind = KindTransient
		e.Code = CodeCaptivePortal
	default:
		e.Kind = KindApp
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// parseRetryAfter reads seconds or an HTTP date; 0 if absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Response validation.

type loginResponse struct{ streetdesk.LoginResponse }

func (r *loginResponse) validate() error {
	if r.Token == "" || r.User.ID == "" {
		return errors.New("login answer without token or user")
	}
	return nil
}

type pushResponse struct{ streetdesk.PushResponse }

func (r *pushResponse) validate() error {
	if r.LastMutationID < 0 {
		return errors.New("negative lastMutationId")
	}
	for i, res := range r.Results {
		switch res.Status {
		case streetdesk.ResultApplied, streetdesk.ResultDuplicate, streetdesk.ResultRejected, streetdesk.ResultConflict:
		default:
			return fmt.Errorf("result %d: unknown status %q", i, res.Status)
		}
		if res.ID <= 0 {
			return fmt.Errorf("result %d: no mutation id", i)
		}
	}
	return nil
}

// streamDecoder is implemented by response shapes that decode themselves.
type streamDecoder interface{ decode(r io.Reader) error }

// pullResponse is a pull page. It decodes with goccy/go-json, which
// decodes a page of orders about three times faster than encoding/json
// (a first sync's 19 MB were the larger part of the desk's CPU), and keeps
// each order's bytes as received (Change.OrderJSON) so the local store
// need not encode them again.
type pullResponse struct{ streetdesk.PullResponse }

// wirePull is the page with each order left undecoded.
type wirePull struct {
	streetdesk.PullResponse
	Changes []wireChange `json:"changes"`
}

type wireChange struct {
	streetdesk.Change
	Order gojson.RawMessage `json:"order,omitempty"`
}

// pageBufs keeps the buffers pages are read into during a pull: growing a
// new one by doubling for every page cost a first sync ~4% of its CPU in
// clearing fresh memory, and a sync.Pool drops what it holds within two
// garbage collections, of which a first sync has several a page. A pull
// decodes one page at a time (the one fetched ahead); two are kept so that
// another client in the process does not take its buffer, until the pull
// ends (releasePageBufs): an idle desk holds none. goccy/go-json copies its
// input, so nothing decoded points into them.
var pageBufs = make(chan *bytes.Buffer, 2)

// releasePageBufs lets pageBufs' buffers go.
func releasePageBufs() {
	for {
		select {
		case <-pageBufs:
		default:
			return
		}
	}
}

func (r *pullResponse) decode(body io.Reader) error {
	var buf *bytes.Buffer
	select {
	case buf = <-pageBufs:
	default:
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= 8<<20 { // a freak page is not kept
			buf.Reset()
			select {
			case pageBufs <- buf:
			default:
			}
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(body); err != nil {
		return err
	}
	var w wirePull
	if err := gojson.Unmarshal(buf.Bytes(), &w); err != nil {
		return err
	}
	r.PullResponse = w.PullResponse
	r.Changes = nil
	if w.Changes != nil {
		r.Changes = make([]streetdesk.Change, len(w.Changes))
	}
	for i := range w.Changes {
		c := w.Changes[i].Change
		if raw := w.Changes[i].Order; len(raw) > 0 && string(raw) != "null" {
			var o streetdesk.WorkOrder
			if err := gojson.Unmarshal(raw, &o); err != nil {
				return fmt.Errorf("change %d: order: %w", i, err)
			}
			c.Order, c.OrderJSON = &o, json.RawMessage(raw)
		}
		r.Changes[i] = c
	}
	return nil
}

func (r *pullResponse) validate() error {
	if r.Cursor == "" {
		return errors.New("pull answer without cursor")
	}
	if r.Changes == nil {
		return errors.New("pull answer without changes")
	}
	for i, ch := range r.Changes {
		if ch.Type == "" || ch.Op == "" {
			return fmt.Errorf("change %d: no type or op", i)
		}
		if ch.Type == streetdesk.ChangeWorkOrder && ch.Op == streetdesk.OpUpsert && ch.Order == nil {
			return fmt.Errorf("change %d: work order upsert without order", i)
		}
	}
	if !r.HasMore && r.Checksum == nil {
		return errors.New("last pull page without checksum")
	}
	return nil
}

type userResponse struct{ streetdesk.User }

func (r *userResponse) validate() error {
	if r.ID == "" {
		return errors.New("user without id")
	}
	return nil
}

type teamResponse struct{ streetdesk.Team }

func (r *teamResponse) validate() error {
	if r.ID == "" {
		return errors.New("team without id")
	}
	return nil
}

type anyJSON struct{ json.RawMessage }

// Endpoints.

// Login signs in with a username and password.
func (c *Client) Login(ctx context.Context, username, password string) (*streetdesk.LoginResponse, error) {
	var out loginResponse
	err := c.do(ctx, call{op: "login", method: http.MethodPost, path: "/v1/auth/login",
		body: streetdesk.LoginRequest{Username: username, Password: password}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out.LoginResponse, nil
}

// Refresh trades a refresh token for a new token pair.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*streetdesk.LoginResponse, error) {
	var out loginResponse
	err := c.do(ctx, call{op: "refresh", method: http.MethodPost, path: "/v1/auth/refresh",
		body: streetdesk.RefreshRequest{RefreshToken: refreshToken}, out: &out})
	if err != nil {
		if e := AsError(err); e != nil && e.Kind == KindApp && (e.Status == 400 || e.Status == 401 || e.Status == 403) {
			e.Kind = KindAuth
		}
		return nil, err
	}
	return &out.LoginResponse, nil
}

// Logout revokes the current token.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, call{op: "logout", method: http.MethodPost, path: "/v1/auth/logout", auth: true, out: &anyJSON{}, okNoCT: true})
}

// Me returns the signed-in user.
func (c *Client) Me(ctx context.Context) (*streetdesk.User, error) {
	var out userResponse
	if err := c.do(ctx, call{op: "me", method: http.MethodGet, path: "/v1/me", auth: true, out: &out}); err != nil {
		return nil, err
	}
	return &out.User, nil
}

// Push sends one batch of mutations.
func (c *Client) Push(ctx context.Context, req *streetdesk.PushRequest) (*streetdesk.PushResponse, error) {
	var out pushResponse
	if err := c.do(ctx, call{op: "push", method: http.MethodPost, path: "/v1/sync/push", body: req, out: &out, auth: true, sync: true}); err != nil {
		return nil, err
	}
	return &out.PushResponse, nil
}

// Pull fetches one page of changes after cursor ("" for a full snapshot).
// The transport negotiates gzip.
func (c *Client) Pull(ctx context.Context, clientID, cursor string, limit int) (*streetdesk.PullResponse, error) {
	q := url.Values{}
	q.Set("cursor", cursor)
	q.Set("limit", strconv.Itoa(limit))
	q.Set("schemaVersion", streetdesk.SchemaVersion)
	q.Set("clientId", clientID)
	var out pullResponse
	if err := c.do(ctx, call{op: "pull", method: http.MethodGet, path: "/v1/sync/pull", query: q, out: &out, auth: true, sync: true}); err != nil {
		return nil, err
	}
	return &out.PullResponse, nil
}

// Wait holds a long poll (GET /v1/sync/wait) of at most timeout (the
// platform caps it at streetdesk.MaxWaitSeconds): it returns true as soon
// as the platform says the visible set changed after cursor (pull now),
// false when the timeout passed with nothing new. A platform without live
// updates answers 404 (an *Error with Status 404).
func (c *Client) Wait(ctx context.Context, cursor string, timeout time.Duration) (bool, error) {
	q := url.Values{}
	q.Set("cursor", cursor)
	q.Set("timeout", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	var out streetdesk.WaitResponse
	if err := c.do(ctx, call{op: "wait", method: http.MethodGet, path: "/v1/sync/wait", query: q, out: &out, auth: true,
		hold: timeout}); err != nil {
		return false, err
	}
	return out.Changed, nil
}

// Team returns the signed-in user's team.
func (c *Client) Team(ctx context.Context) (*streetdesk.Team, error) {
	var out teamResponse
	if err := c.do(ctx, call{op: "team", method: http.MethodGet, path: "/v1/team", out: &out, auth: true}); err != nil {
		return nil, err
	}
	return &out.Team, nil
}

type reassignResponse struct{ streetdesk.ReassignResponse }

func (r *reassignResponse) validate() error {
	if r.Results == nil {
		return errors.New("reassign answer without results")
	}
	return nil
}

// Reassign moves orders to another member of the team (online, lead only);
// one result per order.
func (c *Client) Reassign(ctx context.Context, req *streetdesk.ReassignRequest) (*streetdesk.ReassignResponse, error) {
	var out reassignResponse
	if err := c.do(ctx, call{op: "reassign", method: http.MethodPost, path: "/v1/team/reassign", body: req, out: &out, auth: true}); err != nil {
		return nil, err
	}
	return &out.ReassignResponse, nil
}

// Raw HTTP (blobs, tus).

func (c *Client) newReq(ctx context.Context, method, u string, body io.Reader) (*http.Request, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, "", err
	}
	rid := c.RequestID()
	req.Header.Set("X-Request-ID", rid)
	req.Header.Set("User-Agent", userAgent(c.opts.UserAgent))
	return req, rid, nil
}

// raw sends a body-less or streamed request with the refresh-once rule.
// mk builds a fresh request for each attempt.
func (c *Client) raw(ctx context.Context, op string, mk func(ctx context.Context) (*http.Request, string, error)) (*http.Response, string, error) {
	for attempt := 0; ; attempt++ {
		req, rid, err := mk(ctx)
		if err != nil {
			return nil, rid, fmt.Errorf("%s: %w", op, err)
		}
		tok, err := c.token(ctx, op)
		if err != nil {
			return nil, rid, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, rid, netError(op, rid, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			drain(resp)
			if _, rerr := c.tokenSource().Refresh(ctx, tok); rerr == nil {
				continue
			} else if e := AsError(rerr); e != nil && e.Kind == KindTransient {
				return nil, rid, rerr
			}
			return nil, rid, &Error{Kind: KindAuth, Op: op, Status: 401, RequestID: rid, Message: "sign-in expired"}
		}
		return resp, rid, nil
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

func rawError(op, rid string, resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return statusError(op, true, rid, resp.StatusCode, resp.Header, body)
}

func (c *Client) blobURL(sha string) string { return c.url("/v1/blobs/sha256/" + sha) }

// BlobExists asks whether the platform holds the blob (HEAD).
func (c *Client) BlobExists(ctx context.Context, sha string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, rid, err := c.raw(ctx, "blob.head", func(ctx context.Context) (*http.Request, string, error) {
		return c.newReq(ctx, http.MethodHead, c.blobURL(sha), nil)
	})
	if err != nil {
		return false, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		drain(resp)
		if isHTML(resp.Header) {
			return false, &Error{Kind: KindTransient, Op: "blob.head", Status: 200, Code: CodeCaptivePortal, RequestID: rid, Message: "HTML answer to a blob HEAD"}
		}
		return true, nil
	case http.StatusNotFound:
		drain(resp)
		return false, nil
	}
	return false, rawError("blob.head", rid, resp)
}

func isHTML(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/html"
}

// GetBlob streams a blob. The caller closes the body and verifies the hash.
func (c *Client) GetBlob(ctx context.Context, sha string) (io.ReadCloser, string, error) {
	resp, rid, err := c.raw(ctx, "blob.get", func(ctx context.Context) (*http.Request, string, error) {
		return c.newReq(ctx, http.MethodGet, c.blobURL(sha), nil)
	})
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", rawError("blob.get", rid, resp)
	}
	if isHTML(resp.Header) || isJSON(resp.Header) {
		drain(resp)
		return nil, "", &Error{Kind: KindTransient, Op: "blob.get", Status: 200, Code: CodeCaptivePortal, RequestID: rid, Message: "not an image answer"}
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// UploadMeta describes a tus upload.
type UploadMeta struct {
	SHA256      string
	Size        int64
	Filename    string
	ContentType string
	OrderID     string
}

func tusMetadata(m UploadMeta) string {
	enc := func(k, v string) string { return k + " " + base64.StdEncoding.EncodeToString([]byte(v)) }
	parts := []string{enc("sha256", m.SHA256), enc("filename", m.Filename), enc("contentType", m.ContentType)}
	if m.OrderID != "" {
		parts = append(parts, enc("workOrderId", m.OrderID))
	}
	return strings.Join(parts, ",")
}

// CreateUpload creates a tus upload and returns its absolute URL, or
// exists=true when the platform already holds the blob. A 409 with a
// Location (an unfinished upload for the same SHA-256) returns that URL.
func (c *Client) CreateUpload(ctx context.Context, m UploadMeta) (loc string, exists bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, rid, err := c.raw(ctx, "upload.create", func(ctx context.Context) (*http.Request, string, error) {
		req, rid, err := c.newReq(ctx, http.MethodPost, c.url("/v1/uploads"), nil)
		if err != nil {
			return nil, rid, err
		}
		req.Header.Set("Tus-Resumable", TusVersion)
		req.Header.Set("Upload-Length", strconv.FormatInt(m.Size, 10))
		req.Header.Set("Upload-Metadata", tusMetadata(m))
		req.Header.Set("Idempotency-Key", m.SHA256)
		return req, rid, nil
	})
	if err != nil {
		return "", false, err
	}
	switch {
	case resp.StatusCode == http.StatusOK && resp.Header.Get("X-Blob-Exists") != "":
		drain(resp)
		return "", true, nil
	case resp.StatusCode == http.StatusCreated || (resp.StatusCode == http.StatusConflict && resp.Header.Get("Location") != ""):
		drain(resp)
		l := resp.Header.Get("Location")
		if l == "" {
			return "", false, &Error{Kind: KindTransient, Op: "upload.create", Status: resp.StatusCode, Code: CodeBadResponse, RequestID: rid, Message: "no Location"}
		}
		u, err := c.resolve(l)
		if err != nil {
			return "", false, &Error{Kind: KindTransient, Op: "upload.create", Status: resp.StatusCode, Code: CodeBadResponse, RequestID: rid, Err: err}
		}
		return u, false, nil
	case resp.StatusCode == http.StatusOK:
		drain(resp)
		return "", false, &Error{Kind: KindTransient, Op: "upload.create", Status: 200, Code: CodeCaptivePortal, RequestID: rid, Message: "unexpected 200 to an upload creation"}
	}
	return "", false, rawError("upload.create", rid, resp)
}

// UploadOffset asks the platform how many bytes of an upload it holds.
func (c *Client) UploadOffset(ctx context.Context, u string) (offset, length int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, rid, err := c.raw(ctx, "upload.head", func(ctx context.Context) (*http.Request, string, error) {
		req, rid, err := c.newReq(ctx, http.MethodHead, u, nil)
		if err == nil {
			req.Header.Set("Tus-Resumable", TusVersion)
		}
		return req, rid, err
	})
	if err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return 0, 0, rawError("upload.head", rid, resp)
	}
	drain(resp)
	off, err1 := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	length, _ = strconv.ParseInt(resp.Header.Get("Upload-Length"), 10, 64)
	if err1 != nil || off < 0 {
		return 0, 0, &Error{Kind: KindTransient, Op: "upload.head", Status: resp.StatusCode, Code: CodeCaptivePortal, RequestID: rid, Message: "no Upload-Offset in the answer"}
	}
	return off, length, nil
}

// PatchUpload sends n bytes of f from offset and returns the platform's new
// offset. There is no total deadline: the request is aborted when no byte
// moves for PatchIdleTimeout. progress (may be nil) gets bytes sent so far.
func (c *Client) PatchUpload(ctx context.Context, u string, f io.ReaderAt, offset, n int64, progress func(sent int64)) (int64, error) {
	var wd *watchdog
	defer func() {
		if wd != nil {
			wd.stop()
		}
	}()
	resp, rid, err := c.raw(ctx, "upload.patch", func(ctx context.Context) (*http.Request, string, error) {
		if wd != nil {
			wd.stop()
		}
		wctx, cancel := context.WithCancel(ctx)
		// The watchdog also bounds the wait for the answer after the last byte.
		wd = &watchdog{r: io.NewSectionReader(f, offset, n), idle: c.opts.PatchIdleTimeout, cancel: cancel, progress: progress}
		wd.timer = time.AfterFunc(wd.idle, cancel)
		req, rid, err := c.newReq(wctx, http.MethodPatch, u, wd)
		if err != nil {
			return nil, rid, err
		}
		req.ContentLength = n
		req.Header.Set("Tus-Resumable", TusVersion)
		req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		// A stale offset (409) or an expired upload is answered before any
		// body byte leaves: no chunk is sent just to be thrown away.
		req.Header.Set("Expect", "100-continue")
		return req, rid, nil
	})
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return 0, rawError("upload.patch", rid, resp)
	}
	drain(resp)
	off, perr := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if perr != nil || off < offset {
		return 0, &Error{Kind: KindTransient, Op: "upload.patch", Status: resp.StatusCode, Code: CodeBadResponse, RequestID: rid, Message: "no Upload-Offset in the answer"}
	}
	return off, nil
}

// watchdog cancels a request when its body makes no progress for idle.
type watchdog struct {
	r        io.Reader
	idle     time.Duration
	cancel   context.CancelFunc
	timer    *time.Timer
	progress func(int64)
	sent     int64
	once     gosync.Once
}

func (w *watchdog) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.timer.Reset(w.idle)
		w.sent += int64(n)
		if w.progress != nil {
			w.progress(w.sent)
		}
	}
	return n, err
}

func (w *watchdog) stop() {
	w.once.Do(func() {
		w.timer.Stop()
		w.cancel()
	})
}

// DeleteUpload terminates an unfinished upload.
func (c *Client) DeleteUpload(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, rid, err := c.raw(ctx, "upload.delete", func(ctx context.Context) (*http.Request, string, error) {
		req, rid, err := c.newReq(ctx, http.MethodDelete, u, nil)
		if err == nil {
			req.Header.Set("Tus-Resumable", TusVersion)
		}
		return req, rid, err
	})
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK, http.StatusNotFound, http.StatusGone:
		drain(resp)
		return nil
	}
	return rawError("upload.delete", rid, resp)
}

// Tokens is a simple TokenSource that refreshes through the client and
// reports new token pairs to OnChange (cmd stores them in the keyring).
type Tokens struct {
	mu       gosync.Mutex
	access   string
	refresh  string
	client   *Client
	onChange func(*streetdesk.LoginResponse)
}

// NewTokens returns a token source over a token pair.
func NewTokens(c *Client, access, refresh string, onChange func(*streetdesk.LoginResponse)) *Tokens {
	return &Tokens{access: access, refresh: refresh, client: c, onChange: onChange}
}

// Token returns the current access token.
func (t *Tokens) Token(context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.access, nil
}

// Refresh trades the refresh token for a new pair, once per rejected token
// (concurrent callers that saw the same rejected token share the result).
func (t *Tokens) Refresh(ctx context.Context, rejected string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.access != rejected && t.access != "" {
		return t.access, nil
	}
	if t.refresh == "" {
		return "", &Error{Kind: KindAuth, Op: "refresh", Message: "no refresh token"}
	}
	lr, err := t.client.Refresh(ctx, t.refresh)
	if err != nil {
		return "", err
	}
	t.access, t.refresh = lr.Token, lr.RefreshToken
	if t.onChange != nil {
		t.onChange(lr)
	}
	return t.access, nil
}

// Set replaces the pair (after a new sign-in).
func (t *Tokens) Set(access, refresh string) {
	t.mu.Lock()
	t.access, t.refresh = access, refresh
	t.mu.Unlock()
}

// Close drops idle connections (so nothing outlives the client).
func (c *Client) Close() {
	c.hc.CloseIdleConnections()
	c.rWait.GetClient().CloseIdleConnections()
}

// encodePush encodes a push as json.Marshal does (the same bytes:
// TestClientEncodesAsEncodingJSON), one mutation and entry at a time into
// a buffer sized for the whole body up front. Encoded whole, a push of
// 1,000 grew the encoder's buffer step by step to 2 MB (about five times
// that copied, each new piece of memory faulted in) and then copied it out.
func encodePush(req *streetdesk.PushRequest) ([]byte, error) {
	size := pushOverhead + len(req.ClientID) + len(req.SchemaVersion)
	for i := range req.Mutations {
		m := &req.Mutations[i]
		size += mutationJSONOverhead + len(m.Key) + len(m.Name) + len(m.OrderID) + len(m.Args) + 160*len(m.EvidenceChecks)
	}
	for i := range req.Chain {
		size += entryJSONBound(&req.Chain[i]) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	enc := gojson.NewEncoder(buf)
	// put appends v's JSON without the newline Encode ends it with.
	put := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1)
		return nil
	}
	buf.WriteString(`{"pushVersion":`)
	buf.WriteString(strconv.Itoa(req.PushVersion))
	buf.WriteString(`,"schemaVersion":`)
	if err := put(req.SchemaVersion); err != nil {
		return nil, err
	}
	buf.WriteString(`,"clientId":`)
	if err := put(req.ClientID); err != nil {
		return nil, err
	}
	buf.WriteString(`,"mutations":`)
	if req.Mutations == nil {
		buf.WriteString("null")
	} else if err := putArray(buf, put, req.Mutations); err != nil {
		return nil, err
	}
	if len(req.Chain) > 0 {
		buf.WriteString(`,"chain":`)
		if err := putArray(buf, put, req.Chain); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// putArray appends a JSON array of vs, each written by put.
func putArray[T any](buf *bytes.Buffer, put func(any) error, vs []T) error {
	buf.WriteByte('[')
	for i := range vs {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := put(&vs[i]); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

// mutationJSONOverhead is what a mutation's JSON takes beside its
// strings: keys, numbers, a timestamp, generously.
const mutationJSONOverhead = 160
