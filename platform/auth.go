package platform

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
	"golang.org/x/crypto/bcrypt"
)

const (
	tokenAccess  = "access"
	tokenRefresh = "refresh"
)

func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how tokens are stored: only their SHA-256.
func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// AddUser creates a user with a bcrypt-hashed password. An empty ID becomes
// the username. Street roles need an existing team; centre roles have none.
func (s *Server) AddUser(ctx context.Context, u streetdesk.User, password string) (streetdesk.User, error) {
	if !u.Role.Valid() {
		return u, streetdesk.Errorf(streetdesk.EINVALID, "unknown role %q", u.Role)
	}
	u.Username = strings.TrimSpace(u.Username)
	if u.Username == "" || len(u.Username) > streetdesk.MaxUsernameLength || !streetdesk.ValidOrderID(u.Username) {
		return u, streetdesk.Errorf(streetdesk.EINVALID, "username must be 1–64 letters, digits, '-' or '_'")
	}
	if u.ID == "" {
		u.ID = u.Username
	}
	if u.Name == "" {
		u.Name = u.Username
	}
	if len(password) < 6 || len(password) > 72 {
		return u, streetdesk.Errorf(streetdesk.EINVALID, "password must be 6–72 bytes")
	}
	if u.Role.Centre() {
		u.TeamID = ""
	} else {
		tm, err := s.db.Team(ctx, u.TeamID)
		if err != nil {
			return u, err
		}
		u.TeamName, u.StreetOffice, u.District = tm.Name, tm.StreetOffice, tm.District
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if err != nil {
		return u, fmt.Errorf("hash password: %w", err)
	}
	if err := s.db.AddUser(ctx, u, hash, s.now()); err != nil {
		if streetdesk.ErrorCode(err) == streetdesk.ECONFLICT {
			return u, err
		}
		return u, fmt.Errorf("add user: %w", err)
	}
	return u, nil
}

// AddTeam creates (or updates) a team.
func (s *Server) AddTeam(ctx context.Context, t streetdesk.Team) error {
	if t.ID == "" || !streetdesk.ValidOrderID(t.ID) || strings.TrimSpace(t.Name) == "" {
		return streetdesk.Errorf(streetdesk.EINVALID, "team needs an id and a name")
	}
	if err := s.db.PutTeam(ctx, t); err != nil {
		return err
	}
	s.tokens.clear() // cached users carry their team's names
	return nil
}

// BulkUsers says what AddUsersBulk creates: Count caseworkers named
// BulkUsername(Prefix, 1…Count) in teams of TeamSize (Prefix-t0001…), and
// one dispatcher BulkDispatcher(Prefix), all with Password.
type BulkUsers struct {
	Prefix   string
	Count    int
	TeamSize int // default 10
	Password string
	// BcryptCost of the one hash all the accounts share (default the
	// server's). A lower cost (down to bcrypt.MinCost) is for throwaway
	// load-test accounts only: it makes each login about 1 ms instead of
	// about 100 ms, for an attacker guessing too.
	BcryptCost int
}

// BulkUsername is the username of bulk account i (from 1).
func BulkUsername(prefix string, i int) string { return fmt.Sprintf("%s%05d", prefix, i) }

// BulkDispatcher is the username of the bulk accounts' dispatcher.
func BulkDispatcher(prefix string) string { return prefix + "-dispatcher" }

// AddUsersBulk creates many accounts in one transaction with one bcrypt
// hash: the users of a load test, which would otherwise take a bcrypt run
// each. It returns the teams it created.
func (s *Server) AddUsersBulk(ctx context.Context, b BulkUsers) ([]streetdesk.Team, error) {
	if b.TeamSize <= 0 {
		b.TeamSize = 10
	}
	if b.BcryptCost == 0 {
		b.BcryptCost = s.cfg.BcryptCost
	}
	switch {
	case b.Prefix == "" || len(b.Prefix) > 40 || !streetdesk.ValidOrderID(b.Prefix):
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "prefix must be 1–40 letters, digits, '-' or '_'")
	case b.Count < 1 || b.Count > 1_000_000:
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "count must be 1–1000000")
	case len(b.Password) < 6 || len(b.Password) > 72:
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "password must be 6–72 bytes")
	case b.BcryptCost < bcrypt.MinCost || b.BcryptCost > bcrypt.MaxCost:
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "bcrypt cost must be %d–%d", bcrypt.MinCost, bcrypt.MaxCost)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(b.Password), b.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var teams []streetdesk.Team
	users := make([]streetdesk.User, 0, b.Count+1)
	for i := 1; i <= b.Count; i++ {
		if (i-1)%b.TeamSize == 0 {
			n := len(teams) + 1
			tm := streetdesk.Team{ID: fmt.Sprintf("%s-t%04d", b.Prefix, n), Name: fmt.Sprintf("压测组%d", n),
				StreetOffice: fmt.Sprintf("压测街道%d", (n-1)/10+1), District: "压测区"}
			if err := t.PutTeam(ctx, tm); err != nil {
				return nil, fmt.Errorf("add team %s: %w", tm.ID, err)
			}
			teams = append(teams, tm)
		}
		name := BulkUsername(b.Prefix, i)
		users = append(users, streetdesk.User{ID: name, Username: name, Name: name, Role: streetdesk.RoleCaseworker, TeamID: teams[len(teams)-1].ID})
	}
	d := BulkDispatcher(b.Prefix)
	users = append(users, streetdesk.User{ID: d, Username: d, Name: d, Role: streetdesk.RoleDispatcher})
	if err := t.InsertUsers(ctx, users, hash, t.now); err != nil {
		return nil, err
	}
	if err := t.Commit(); err != nil {
		return nil, fmt.Errorf("add users: %w", err)
	}
	return teams, nil
}

// loginWait is how long a key with failures f must wait before it may try
// again (0: now): limit failures within LoginWindow lock it for the rest of
// the window.
func (s *Server) loginWait(f store.LoginWindow, limit int, now time.Time) time.Duration {
	if f.N < limit || now.Sub(f.Start) >= s.cfg.LoginWindow {
		return 0
	}
	return f.Start.Add(s.cfg.LoginWindow).Sub(now)
}

func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req streetdesk.LoginRequest
	if !s.decodeOrFail(w, r, 8<<10, &req) {
		return
	}
	now := s.now()
	acct, addr := "user:"+strings.ToLower(req.Username), "addr:"+remoteAddr(r)
	// The counts live in the database: failures through one instance count
	// on every other.
	fails, err := s.db.LoginFailures(r.Context(), []string{acct, addr})
	if err != nil {
		s.unavailable(w, r, "login", err)
		return
	}
	if wait := max(s.loginWait(fails[acct], s.cfg.LoginMaxFailures, now), s.loginWait(fails[addr], 4*s.cfg.LoginMaxFailures, now)); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		writeError(w, http.StatusTooManyRequests, streetdesk.ErrRateLimited, "too many failed logins; try again later")
		return
	}
	u, hash, err := s.db.User(r.Context(), req.Username)
	if err == nil && u.Username != req.Username {
		err = streetdesk.Errorf(streetdesk.ENOTFOUND, "no such user")
	}
	if err != nil && streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		s.unavailable(w, r, "login", err)
		return
	}
	if err != nil || bcrypt.CompareHashAndPassword(hash, []byte(req.Password)) != nil {
		if err := s.db.AddLoginFailure(r.Context(), []string{acct, addr}, now, s.cfg.LoginWindow); err != nil {
			s.unavailable(w, r, "login", err)
			return
		}
		s.log.Info("login failed", "request_id", r.Context().Value(ctxRequestID))
		writeError(w, http.StatusUnauthorized, streetdesk.EUNAUTHORIZED, "wrong username or password")
		return
	}
	if _, ok := fails[acct]; ok {
		if err := s.db.ResetLoginFailures(r.Context(), acct); err != nil {
			s.unavailable(w, r, "login", err)
			return
		}
	}
	resp, err := s.issueTokens(r.Context(), u, "")
	if err != nil {
		s.unavailable(w, r, "issue tokens", err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// issueTokens stores a new token pair for u, spending the pair spent (a
// refresh) in the same transaction: a failure leaves the old pair valid.
func (s *Server) issueTokens(ctx context.Context, u *streetdesk.User, spent string) (*streetdesk.LoginResponse, error) {
	now := s.now()
	resp := &streetdesk.LoginResponse{
		Token: newToken(), ExpiresAt: now.Add(s.cfg.TokenTTL),
		RefreshToken: newToken(), RefreshExpiresAt: now.Add(s.cfg.RefreshTTL),
		User: *u,
	}
	pair := randomHex(16)
	hashes, err := s.db.StoreTokens(ctx, spent, []store.Token{
		{Hash: hashToken(resp.Token), UserID: u.ID, Kind: tokenAccess, Pair: pair, Expires: resp.ExpiresAt.UnixMilli()},
		{Hash: hashToken(resp.RefreshToken), UserID: u.ID, Kind: tokenRefresh, Pair: pair, Expires: resp.RefreshExpiresAt.UnixMilli()},
	}, now)
	if spent != "" && streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		return nil, errRefreshInvalid // spent by a concurrent refresh
	}
	if err != nil {
		return nil, fmt.Errorf("store tokens: %w", err)
	}
	s.tokens.forget(hashes...)
	return resp, nil
}

var errRefreshInvalid = streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "refresh token invalid or expired; sign in again")

func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	var req streetdesk.RefreshRequest
	if !s.decodeOrFail(w, r, 8<<10, &req) {
		return
	}
	ctx := r.Context()
	st, err := s.db.Token(ctx, hashToken(req.RefreshToken), tokenRefresh)
	switch {
	case streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND || err == nil && st.Expires < s.now().UnixMilli():
		writeError(w, http.StatusUnauthorized, streetdesk.EUNAUTHORIZED, errRefreshInvalid.Message)
		return
	case err != nil:
		s.unavailable(w, r, "refresh", err)
		return
	}
	u, _, err := s.db.User(ctx, st.UserID)
	switch {
	case streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND:
		writeError(w, http.StatusUnauthorized, streetdesk.EUNAUTHORIZED, "user no longer exists")
		return
	case err != nil:
		s.unavailable(w, r, "refresh", err)
		return
	}
	// Rotation: the old pair is spent, in the transaction that stores the
	// new one. Of two refreshes racing with the same token, the second finds
	// nothing to spend and is refused.
	resp, err := s.issueTokens(ctx, u, st.Pair)
	switch {
	case errors.Is(err, errRefreshInvalid):
		writeError(w, http.StatusUnauthorized, streetdesk.EUNAUTHORIZED, errRefreshInvalid.Message)
	case err != nil:
		s.unavailable(w, r, "refresh", err)
	default:
		writeJSON(w, http.StatusOK, resp)
	}
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	ctx := r.Context()
	st, err := s.db.Token(ctx, hashToken(bearer(r)), tokenAccess)
	if err == nil {
		err = s.spendPair(ctx, st.Pair)
	}
	if err != nil && streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		s.unavailable(w, r, "logout", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// spendPair deletes a token pair and forgets it at once on this instance.
func (s *Server) spendPair(ctx context.Context, pair string) error {
	hashes, err := s.db.DeleteTokenPair(ctx, pair)
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	s.tokens.forget(hashes...)
	return nil
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	writeJSON(w, http.StatusOK, u)
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

var errUnauthorized = streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "missing, invalid or expired token")

// tokenCache remembers, for TokenCacheTTL, the tokens this instance
// checked: the requests of one desk come in bursts (the pages of a first
// sync, a push and the pull after it), and each would read the token and
// the user again. Logout and refresh on this instance forget the spent
// tokens at once. Another instance sharing the database keeps a token
// revoked elsewhere for at most TokenCacheTTL (the documented bound,
// docs/protocol.md), unless it is told: forget is the seam a shared
// deployment calls on a revocation notice.
type tokenCache struct {
	ttl time.Duration
	c   *lru[string, cachedToken]
}

type cachedToken struct {
	user    *streetdesk.User
	expires int64     // the token's expiry, unix ms
	checked time.Time // when it was read from the store
}

// tokenCacheBytes bounds the cache (about 5,000 tokens).
const tokenCacheBytes = 2 << 20

func newTokenCache(ttl time.Duration) *tokenCache {
	return &tokenCache{ttl: ttl, c: newLRU(tokenCacheBytes, func(k string, v cachedToken) int {
		u := v.user
		return 200 + len(k) + len(u.ID) + len(u.Username) + len(u.Name) + len(u.TeamID) + len(u.TeamName) + len(u.StreetOffice) + len(u.District)
	})}
}

func (c *tokenCache) get(hash string, now time.Time) (*streetdesk.User, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	v, ok := c.c.get(hash)
	if !ok || now.Sub(v.checked) >= c.ttl || v.expires < now.UnixMilli() {
		return nil, false
	}
	return v.user, true
}

func (c *tokenCache) put(hash string, u *streetdesk.User, expires int64, now time.Time) {
	if c.ttl > 0 {
		c.c.put(hash, cachedToken{user: u, expires: expires, checked: now})
	}
}

func (c *tokenCache) clear() { c.c.clear() }

// forget drops tokens (by hash) at once.
func (c *tokenCache) forget(hashes ...string) {
	for _, h := range hashes {
		c.c.remove(h)
	}
}

// authenticate resolves the bearer token to its user. Only a missing,
// expired or revoked token (or a deleted user) is errUnauthorized; a store
// that fails is an error of its own, answered 503.
func (s *Server) authenticate(r *http.Request) (*streetdesk.User, error) {
	tok := bearer(r)
	if tok == "" || len(tok) > 200 {
		return nil, errUnauthorized
	}
	hash, now := hashToken(tok), s.now()
	if u, ok := s.tokens.get(hash, now); ok {
		return u, nil
	}
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	// Two point lookups: not worth the goroutine per statement that a
	// cancelable context costs in database/sql and the driver.
	ctx := context.WithoutCancel(r.Context())
	if err := s.storeFault("authenticate"); err != nil {
		return nil, err
	}
	st, err := s.db.Token(ctx, hash, tokenAccess)
	switch {
	case streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND:
		return nil, errUnauthorized
	case err != nil:
		return nil, err
	case st.Expires < now.UnixMilli():
		return nil, errUnauthorized
	}
	u, _, err := s.db.User(ctx, st.UserID)
	switch {
	case streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND:
		return nil, errUnauthorized
	case err != nil:
		return nil, fmt.Errorf("load user: %w", err)
	}
	s.tokens.put(hash, u, st.Expires, now)
	return u, nil
}

type userHandler func(w http.ResponseWriter, r *http.Request, u *streetdesk.User)

func (s *Server) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="streetdesk"`)
	writeError(w, http.StatusUnauthorized, streetdesk.EUNAUTHORIZED, errUnauthorized.Message)
}

// authed requires any signed-in user.
func (s *Server) authed(h userHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.authenticate(r)
		if err != nil {
			s.authFailed(w, r, err)
			return
		}
		h(w, r, u)
	}
}

// authFailed answers a failed authentication: 401 for a bad token, 503 with
// Retry-After when the token could not be checked (the desk backs off and
// keeps its sign-in, where a 401 would send it to refresh or sign in again).
func (s *Server) authFailed(w http.ResponseWriter, r *http.Request, err error) {
	if streetdesk.ErrorCode(err) == streetdesk.EUNAUTHORIZED {
		s.unauthorized(w)
		return
	}
	s.unavailable(w, r, "authenticate", err)
}

// street requires a street-office role (caseworker or lead).
func (s *Server) street(h userHandler) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
		if u.Role.Centre() {
			writeError(w, http.StatusForbidden, streetdesk.EFORBIDDEN, "this endpoint is for street-office staff")
			return
		}
		h(w, r, u)
	})
}

// as requires one of roles. Like street and centre, it decides before
// anything of the request is read: a role that may never call an endpoint
// gets 403 whatever it sends, and learns nothing about what a valid request
// would look like.
func (s *Server) as(roles []streetdesk.Role, h userHandler) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
		if !slices.Contains(roles, u.Role) {
			writeError(w, http.StatusForbidden, streetdesk.EFORBIDDEN, fmt.Sprintf("role %s may not do this", string(u.Role)))
			return
		}
		h(w, r, u)
	})
}

// opRoles lists the roles the lifecycle lets perform any of ops, in some
// state: who may call the endpoint of those operations at all (whether the
// order's state allows it is decided later, per order).
func opRoles(ops ...streetdesk.Operation) []streetdesk.Role {
	var out []streetdesk.Role
	for _, t := range streetdesk.Lifecycle {
		if slices.Contains(ops, t.Op) {
			for _, r := range t.Roles {
				if !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// centre requires a centre role (dispatcher, callback agent, supervisor).
func (s *Server) centre(h userHandler) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
		if !u.Role.Centre() {
			writeError(w, http.StatusForbidden, streetdesk.EFORBIDDEN, "this endpoint is for the 12345 centre")
			return
		}
		h(w, r, u)
	})
}
