package platform

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// The citizen progress page (/track): the citizen types the order number
// and the last four digits of the phone they called from, and sees where
// the order stands in plain words, the public reply and the published
// "after" photos, and rates it once it is resolved. Server-rendered, no
// script, nothing from elsewhere. What it shows and its limits are in
// docs/protocol.md §16.

// Limits of the look-up. Failures are counted in the store (every instance
// sees them), in fixed windows of trackWindow.
const (
	TrackOrderFailures = 5  // wrong digits for one order number lock it
	TrackAddrFailures  = 30 // failed look-ups from one address lock it
	TrackWindow        = time.Hour
	trackSessionTTL    = 30 * time.Minute
	trackCookie        = "sd_track"
	maxRatingRunes     = 500
)

//go:embed track_templates
var trackFS embed.FS

var trackTmpl = template.Must(template.ParseFS(trackFS, "track_templates/page.html"))

// trackCitizen is who the citizen's rating is recorded as: the callback
// path's role, a name that says where it came from, no person.
var trackCitizen = streetdesk.User{ID: "citizen-track", Username: "citizen-track", Name: "市民（进度查询页）", Role: streetdesk.RoleCallback}

// trackKey is the signing key of the page's cookies and forms, read from
// the store once (every instance signs with the same key).
type trackKey struct {
	mu  sync.Mutex
	key []byte
}

func (s *Server) trackSecret(ctx context.Context) ([]byte, error) {
	s.trackKey.mu.Lock()
	defer s.trackKey.mu.Unlock()
	if s.trackKey.key == nil {
		k, err := s.db.TrackSecret(ctx, randomHex(32))
		if err != nil {
			return nil, err
		}
		s.trackKey.key = []byte(k)
	}
	return s.trackKey.key, nil
}

func trackMAC(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionValue is the cookie: order id, expiry, MAC. It proves the holder
// typed the right digits for that order lately; nothing else is in it.
func sessionValue(key []byte, orderID string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return orderID + "." + e + "." + trackMAC(key, "session", orderID, e)
}

// parseSession returns the order a valid, unexpired cookie names.
func parseSession(key []byte, v string, now time.Time) (string, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || !streetdesk.ValidOrderID(parts[0]) {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || now.Unix() >= exp {
		return "", false
	}
	want := trackMAC(key, "session", parts[0], parts[1])
	if !hmac.Equal([]byte(want), []byte(parts[2])) {
		return "", false
	}
	return parts[0], true
}

// csrfToken binds the rating form to the session cookie (a signed double
// submit): another site can neither read it nor make it.
func csrfToken(key []byte, session string) string { return trackMAC(key, "csrf", session) }

// securityHeaders are sent with every answer of the page: a strict CSP
// (only this origin's stylesheet and images, no script at all, forms post
// only here, no framing), no sniffing, no referrer, no caching of pages.
func trackHeaders(w http.ResponseWriter, r *http.Request, cache string) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	h.Set("Cache-Control", cache)
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// trackLang picks the page's language: English when the browser prefers
// it, else Chinese.
func trackLang(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.Split(part, ";")[0]))
		switch {
		case strings.HasPrefix(tag, "en"):
			return "en"
		case strings.HasPrefix(tag, "zh"), tag == "*":
			return "zh"
		}
	}
	return "zh"
}

// trackPage is what the template renders.
type trackPage struct {
	Lang, CSRF, OrderInput string
	T                      map[string]string
	Message, MessageKind   string
	Order                  *trackView
}

// trackView is the public view of an order: what the page may show.
type trackView struct {
	ID, Title, State, StateClass  string
	Category, Address, Office     string
	Department, Handler, Deadline string
	Phone, Round, Outcome, Reply  string
	Rated                         string
	EventReply                    string // the big-data event's public reply, for a member
	Photos                        []string
	Steps                         []trackStep
	CanRate                       bool
}

type trackStep struct{ Name, At, Class string }

func (s *Server) renderTrack(w http.ResponseWriter, r *http.Request, status int, p trackPage) {
	p.Lang = trackLang(r)
	p.T = trackWords[p.Lang]
	trackHeaders(w, r, "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := trackTmpl.ExecuteTemplate(w, "page", p); err != nil && r.Context().Err() == nil {
		s.log.Error("track page", "err", err)
	}
}

func (s *Server) handleTrackStyle(w http.ResponseWriter, r *http.Request) {
	b, _ := trackFS.ReadFile("track_templates/style.css")
	trackHeaders(w, r, "public, max-age=3600")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write(b) // a client gone away needs no answer
}

// session returns the order the request's cookie proves, if any.
func (s *Server) trackSession(r *http.Request) (orderID, cookie string, key []byte, err error) {
	key, err = s.trackSecret(r.Context())
	if err != nil {
		return "", "", nil, err
	}
	c, cerr := r.Cookie(trackCookie)
	if cerr != nil {
		return "", "", key, nil
	}
	id, ok := parseSession(key, c.Value, s.now())
	if !ok {
		return "", "", key, nil
	}
	return id, c.Value, key, nil
}

// handleTrack shows the order the cookie proves, else the look-up form.
func (s *Server) handleTrack(w http.ResponseWriter, r *http.Request) {
	id, cookie, key, err := s.trackSession(r)
	if err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	if id == "" || r.URL.Query().Has("new") {
		s.renderTrack(w, r, http.StatusOK, trackPage{})
		return
	}
	p := trackPage{CSRF: csrfToken(key, cookie)}
	switch r.URL.Query().Get("done") {
	case "rated":
		p.Message, p.MessageKind = trackWords[trackLang(r)]["thanks"], "ok"
	}
	v, err := s.trackView(r.Context(), id, trackLang(r))
	if err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	p.Order = v
	s.renderTrack(w, r, http.StatusOK, p)
}

func (s *Server) trackUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() == nil {
		s.burst.log(s.log, "track failed", "request_id", r.Context().Value(ctxRequestID), "err", err)
	}
	w.Header().Set("Retry-After", "5")
	s.renderTrack(w, r, http.StatusServiceUnavailable, trackPage{Message: trackWords[trackLang(r)]["unavailable"]})
}

// handleTrackLookup checks the order number and the phone's last four
// digits. A wrong pair, an unknown order and a malformed number get the
// same answer; failures count per order number and per address.
func (s *Server) handleTrackLookup(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		s.renderTrack(w, r, http.StatusBadRequest, trackPage{Message: trackWords[trackLang(r)]["badRequest"]})
		return
	}
	ctx := r.Context()
	words := trackWords[trackLang(r)]
	id := streetdesk.NormalizeOrderID(r.PostForm.Get("order"))
	digits := strings.TrimSpace(r.PostForm.Get("phone4"))
	if utf8.RuneCountInString(id) > streetdesk.MaxOrderIDLength {
		id = string([]rune(id)[:streetdesk.MaxOrderIDLength])
	}
	now := s.now()
	orderKey, addrKey := "order:"+id, "addr:"+remoteAddr(r)
	fails, err := s.db.TrackFailures(ctx, []string{orderKey, addrKey})
	if err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	if wait := max(trackWait(fails[orderKey], TrackOrderFailures, now), trackWait(fails[addrKey], TrackAddrFailures, now)); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		mins := int((wait + time.Minute - 1) / time.Minute)
		s.renderTrack(w, r, http.StatusTooManyRequests, trackPage{OrderInput: id,
			Message: strings.ReplaceAll(words["locked"], "{N}", strconv.Itoa(mins))})
		return
	}
	// The attempt is counted against the order before the digits are
	// compared (a success takes it back below): parallel guesses that all
	// passed the check above cannot compare more than the limit allows.
	if err := s.db.AddTrackFailure(ctx, []string{orderKey}, now, TrackWindow); err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	if fails, err = s.db.TrackFailures(ctx, []string{orderKey}); err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	if f := fails[orderKey]; f.N > TrackOrderFailures && now.Sub(f.Start) < TrackWindow {
		wait := f.Start.Add(TrackWindow).Sub(now)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		mins := int((wait + time.Minute - 1) / time.Minute)
		s.renderTrack(w, r, http.StatusTooManyRequests, trackPage{OrderInput: id,
			Message: strings.ReplaceAll(words["locked"], "{N}", strconv.Itoa(mins))})
		return
	}
	ok, err := s.trackMatch(ctx, id, digits)
	if err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	if !ok {
		if err := s.db.AddTrackFailure(ctx, []string{addrKey}, now, TrackWindow); err != nil {
			s.trackUnavailable(w, r, err)
			return
		}
		s.renderTrack(w, r, http.StatusOK, trackPage{OrderInput: id, Message: words["noMatch"]})
		return
	}
	if err := s.db.ResetTrackFailures(ctx, orderKey); err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	key, err := s.trackSecret(ctx)
	if err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: trackCookie, Value: sessionValue(key, id, now.Add(trackSessionTTL)), Path: "/track",
		MaxAge: int(trackSessionTTL.Seconds()), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	trackHeaders(w, r, "no-store")
	http.Redirect(w, r, "/track", http.StatusSeeOther)
}

// trackWait is how long a key with failures f stays locked (0: not).
func trackWait(f store.LoginWindow, limit int, now time.Time) time.Duration {
	if f.N < limit || now.Sub(f.Start) >= TrackWindow {
		return 0
	}
	return f.Start.Add(TrackWindow).Sub(now)
}

// trackMatch compares the digits with the last four of the order's phone
// in constant time; an unknown or malformed order number is compared with
// a stand-in, so both take the same path.
func (s *Server) trackMatch(ctx context.Context, id, digits string) (bool, error) {
	want, found := "\x00\x00\x00\x00", false
	if streetdesk.ValidOrderID(id) {
		phone, err := s.db.CitizenPhone(ctx, id)
		switch {
		case err == nil:
			if d := onlyDigits(phone); len(d) >= 4 {
				want, found = d[len(d)-4:], true
			}
		case streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND:
			return false, err
		}
	}
	got := digits
	if len(got) != 4 || onlyDigits(got) != got {
		got = "\xff\xff\xff\xff"
	}
	eq := subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
	return eq && found, nil
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// trackView builds what the page shows of an order: no names, no notes, no
// other citizen's data, the phone masked.
func (s *Server) trackView(ctx context.Context, id, lang string) (*trackView, error) {
	o, err := s.Order(ctx, id)
	if err != nil {
		return nil, err
	}
	words := trackWords[lang]
	v := &trackView{ID: o.ID, Title: o.Title, Category: o.Category.L3Name, Address: o.Location.Address,
		Office: o.Location.StreetOffice, Department: o.Category.Department, Phone: o.Citizen.Phone}
	if v.Office == "" {
		v.Office = words["centre"]
	}
	v.Handler = strings.ReplaceAll(words["handlerOf"], "{O}", v.Office)
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")
	}
	// The steps: 已受理 → 已派至<街道> → 处理中 → 已办结 → 回访, each with
	// the time of the history event that reached it (this cycle's).
	var dispatched, working, resolved, callback time.Time
	for _, ev := range o.History {
		switch streetdesk.Operation(ev.Kind) {
		case "dispatch":
			dispatched = ev.At
		case streetdesk.OpAccept:
			working = ev.At
		case streetdesk.OpSubmitResolution, streetdesk.OpApproveReview:
			resolved = ev.At
		case streetdesk.OpClose:
			callback = ev.At
		case streetdesk.OpReopen:
			// A new round, worked from its reopening.
			working, resolved, callback = ev.At, time.Time{}, time.Time{}
		}
	}
	if dispatched.IsZero() {
		dispatched = o.DispatchedAt
	}
	if o.Cycle > 0 {
		v.Round = strings.ReplaceAll(words["round"], "{N}", strconv.Itoa(o.Cycle+1))
	}
	reached := 2 // 已派至
	v.State, v.StateClass = words["stateDispatched"], ""
	switch o.Status {
	case streetdesk.StatusAccepted, streetdesk.StatusReopened, streetdesk.StatusExtensionRequested,
		streetdesk.StatusReturnRequested, streetdesk.StatusAwaitingReview:
		reached, v.State = 3, words["stateWorking"]
		if working.IsZero() {
			working = o.AcceptedAt
		}
	case streetdesk.StatusResolved:
		reached, v.State, v.StateClass = 4, words["stateResolved"], "done"
	case streetdesk.StatusClosed:
		reached, v.State, v.StateClass = 5, words["stateClosed"], "done"
	case streetdesk.StatusCancelled:
		reached, v.State, v.StateClass = 1, words["stateCancelled"], "stop"
	case streetdesk.StatusReturned:
		reached, v.State, v.StateClass = 1, words["stateReturned"], "stop"
	}
	if d := o.CurrentDeadline(); !d.IsZero() {
		v.Deadline = at(d)
	}
	names := []string{words["stepReceived"], strings.ReplaceAll(words["stepDispatched"], "{O}", v.Office),
		words["stepWorking"], words["stepResolved"], words["stepCallback"]}
	times := []time.Time{dispatched, dispatched, working, resolved, callback}
	for i, n := range names {
		st := trackStep{Name: n}
		switch {
		case i+1 < reached || i+1 == reached && reached >= 4:
			st.Class, st.At = "done", at(times[i])
		case i+1 == reached:
			st.Class, st.At = "now", at(times[i])
		}
		v.Steps = append(v.Steps, st)
	}
	if reached >= 4 {
		if err := s.trackReply(ctx, o, lang, v); err != nil {
			return nil, err
		}
	}
	if er := o.EventResolution; er != nil && er.EventID == o.EventID {
		// A source fix for this and similar requests: public, like a reply.
		v.EventReply = strings.ReplaceAll(trackWords[lang]["eventReply"], "{R}", er.Reply)
	}
	return v, s.trackRating(ctx, o, lang, v)
}

// trackReply adds the public reply of the cycle's accepted resolution and
// its published photos.
func (s *Server) trackReply(ctx context.Context, o *streetdesk.WorkOrder, lang string, v *trackView) error {
	rs, err := s.Resolutions(ctx, o.ID)
	if err != nil {
		return err
	}
	var res *streetdesk.Resolution
	for i := range rs {
		if rs[i].State == streetdesk.ResolutionAccepted && rs[i].Cycle == o.Cycle {
			res = &rs[i]
		}
	}
	if res == nil {
		return nil
	}
	v.Outcome, v.Reply = trackWords[lang][string(res.Outcome)], res.Reply
	ps, err := s.Photos(ctx, o.ID)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Shown() && slices.Contains(res.PhotoRefIDs, p.ID) {
			v.Photos = append(v.Photos, "/track/photo/"+url.PathEscape(p.ID))
		}
	}
	return nil
}

// trackRating says whether the citizen may rate now, or what they said.
func (s *Server) trackRating(ctx context.Context, o *streetdesk.WorkOrder, lang string, v *trackView) error {
	words := trackWords[lang]
	cycle := o.Cycle
	if o.Status != streetdesk.StatusResolved && o.Status != streetdesk.StatusClosed && o.Cycle > 0 {
		cycle = o.Cycle - 1 // reopened: what was said of the last round
	}
	rating, err := s.db.CitizenRating(ctx, o.ID, cycle)
	switch {
	case err == nil:
		v.Rated = strings.ReplaceAll(words["rated"], "{R}", words[string(rating)])
		switch {
		case o.Cycle > cycle && rating == streetdesk.RatingDissatisfied:
			v.Rated += words["ratedReopened"]
		case o.Cycle > cycle: // the callback agent overrode the citizen's rating
			v.Rated += words["agentReopened"]
		case o.Status == streetdesk.StatusClosed && o.CitizenRatedAt.IsZero() && o.Rating != "":
			v.Rated += strings.ReplaceAll(words["agentRerated"], "{R}", words[string(o.Rating)])
		}
	case streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND:
		return err
	case o.Status == streetdesk.StatusResolved:
		v.CanRate = true
	case o.Status == streetdesk.StatusClosed && o.Rating != "":
		v.Rated = strings.ReplaceAll(words["ratedByPhone"], "{R}", words[string(o.Rating)])
	}
	return nil
}

// handleTrackRate records the citizen's rating through the callback path:
// 满意 and 基本满意 close the order, 不满意 reopens it with the citizen's
// words as the reason. Once per cycle; the form must carry the session's
// CSRF token.
func (s *Server) handleTrackRate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	words := trackWords[trackLang(r)]
	if err := r.ParseForm(); err != nil {
		s.renderTrack(w, r, http.StatusBadRequest, trackPage{Message: words["badRequest"]})
		return
	}
	id, cookie, key, err := s.trackSession(r)
	if err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	if id == "" || !sameOrigin(r) || !hmac.Equal([]byte(csrfToken(key, cookie)), []byte(r.PostForm.Get("csrf"))) {
		s.renderTrack(w, r, http.StatusForbidden, trackPage{Message: words["expired"]})
		return
	}
	rating := streetdesk.Rating(r.PostForm.Get("rating"))
	comment := strings.TrimSpace(r.PostForm.Get("comment"))
	page := func(msg string) {
		v, err := s.trackView(r.Context(), id, trackLang(r))
		if err != nil {
			s.trackUnavailable(w, r, err)
			return
		}
		s.renderTrack(w, r, http.StatusBadRequest, trackPage{CSRF: csrfToken(key, cookie), Order: v, Message: msg})
	}
	switch {
	case !rating.Valid():
		page(words["chooseRating"])
		return
	case !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > maxRatingRunes:
		page(words["commentLong"])
		return
	case rating == streetdesk.RatingDissatisfied && comment == "":
		page(words["needReason"])
		return
	}
	switch err := s.citizenCallback(r.Context(), id, rating, comment); {
	case err == nil:
		trackHeaders(w, r, "no-store")
		http.Redirect(w, r, "/track?done=rated", http.StatusSeeOther)
	case streetdesk.ErrorCode(err) == streetdesk.ECONFLICT || streetdesk.ErrorCode(err) == streetdesk.EINVALID:
		page(words["cannotRate"])
	default:
		s.trackUnavailable(w, r, err)
	}
}

// sameOrigin refuses a form posted from another site when the browser says
// so (Origin, Sec-Fetch-Site); the CSRF token decides otherwise.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	return true
}

// citizenCallback applies the citizen's rating as the callback agent's
// would be (the same operations and arguments), recording it once for the
// order's cycle in the same transaction: ECONFLICT when the cycle was rated
// already or the order no longer waits for its callback.
func (s *Server) citizenCallback(ctx context.Context, id string, rating streetdesk.Rating, comment string) error {
	op, err := rating.Operation()
	if err != nil {
		return err
	}
	t, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	o, sv, err := t.Order(ctx, id)
	if err != nil {
		return err
	}
	if o.Status != streetdesk.StatusResolved {
		return streetdesk.Errorf(streetdesk.ECONFLICT, "order %s does not wait for a rating", id)
	}
	first, err := t.RecordCitizenRating(ctx, id, o.Cycle, rating, t.now)
	if err != nil {
		return err
	}
	if !first {
		return streetdesk.Errorf(streetdesk.ECONFLICT, "order %s was rated in this round already", id)
	}
	var args any = &streetdesk.CallbackRequest{Rating: rating, Comment: comment, ByCitizen: true}
	if op == streetdesk.OpReopen {
		args = &streetdesk.Reopening{Comment: comment, ResolveBy: s.cfg.Calendar.ReopenDeadline(t.now)}
	}
	prev := o.Status
	ev, err := o.Apply(op, args, trackCitizen, t.now)
	if err != nil {
		return err
	}
	if ev != nil {
		o.History = append(o.History, *ev)
	}
	if err := t.saveOrder(ctx, o, prev, sv); err != nil {
		return err
	}
	return t.Commit()
}

// handleTrackPhoto serves a published "after" photo of the session's
// order: not the authenticated blob API, and nothing else.
func (s *Server) handleTrackPhoto(w http.ResponseWriter, r *http.Request) {
	id, _, _, err := s.trackSession(r)
	if err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	notFound := func() {
		trackHeaders(w, r, "no-store")
		http.Error(w, "not found", http.StatusNotFound)
	}
	if id == "" {
		notFound()
		return
	}
	ps, err := s.Photos(r.Context(), id)
	if err != nil {
		s.trackUnavailable(w, r, err)
		return
	}
	i := slices.IndexFunc(ps, func(p streetdesk.PhotoRef) bool { return p.ID == r.PathValue("id") })
	if i < 0 || !ps[i].Shown() || !streetdesk.ValidSHA256(ps[i].SHA256) {
		notFound()
		return
	}
	f, err := os.Open(s.BlobPath(ps[i].SHA256))
	if err != nil {
		notFound()
		return
	}
	defer func() { _ = f.Close() }() // read only
	trackHeaders(w, r, "private, max-age=600")
	w.Header().Set("Content-Type", ps[i].MIME)
	http.ServeContent(w, r, "", time.Time{}, f)
}

func (s *Server) trackRoutes(m *patternMux) {
	m.HandleFunc("GET /track", s.handleTrack)
	m.HandleFunc("POST /track", s.handleTrackLookup)
	m.HandleFunc("POST /track/rate", s.handleTrackRate)
	m.HandleFunc("GET /track/photo/{id}", s.handleTrackPhoto)
	m.HandleFunc("GET /track/style.css", s.handleTrackStyle)
}

// pruneTrack drops failure windows that have ended.
func (s *Server) pruneTrack(ctx context.Context) error {
	if err := s.db.PruneTrackFailures(ctx, s.now().Add(-TrackWindow)); err != nil {
		return fmt.Errorf("prune track failures: %w", err)
	}
	return nil
}
