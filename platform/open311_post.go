package platform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// Open311 writing side (docs/protocol.md §15): a channel holding an
// api_key submits a request (POST requests); it waits in the centre's
// intake queue until a dispatcher dispatches it (DispatchRequest.IntakeToken)
// and then tokens/{token} gives the order's id.

// open311KeyPrefix starts every api_key, so one found in a log or a
// repository is recognised.
const open311KeyPrefix = "o311_"

func hashOpen311Key(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// AddOpen311Key creates an api_key for a channel and returns it; only its
// hash is stored, so it is shown this once.
func (s *Server) AddOpen311Key(ctx context.Context, channel streetdesk.Channel, name string) (string, error) {
	if !slices.Contains(streetdesk.Channels, channel) {
		return "", streetdesk.Errorf(streetdesk.EINVALID, "unknown channel %q", channel)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n < 1 || n > 100 || !utf8.ValidString(name) {
		return "", streetdesk.Errorf(streetdesk.EINVALID, "the key's name must be 1–100 characters")
	}
	key := open311KeyPrefix + randomHex(20)
	t, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	defer t.Rollback()
	if err := t.InsertOpen311Key(ctx, store.Open311Key{Hash: hashOpen311Key(key), Channel: channel, Name: strings.TrimSpace(name), Created: t.now}); err != nil {
		return "", err
	}
	return key, t.Commit()
}

// Open311KeyID names a stored api_key in lists and for revoking: the first
// 12 hex digits of its hash — enough to tell keys apart, nothing to post
// with. Neither the key nor its whole hash is ever printed again.
func Open311KeyID(k store.Open311Key) string { return k.Hash[:min(12, len(k.Hash))] }

// Open311Keys lists the api_keys, oldest first.
func (s *Server) Open311Keys(ctx context.Context) ([]store.Open311Key, error) {
	return s.db.Open311Keys(ctx)
}

// RevokeOpen311Key revokes one api_key, named by its id (Open311KeyID, or
// a longer prefix of its hash, at least 8 hex digits) or by the key itself
// (say one found in a log). Its next POST gets 403.
func (s *Server) RevokeOpen311Key(ctx context.Context, ref string) (store.Open311Key, error) {
	ref = strings.TrimSpace(ref)
	t, err := s.begin(ctx)
	if err != nil {
		return store.Open311Key{}, err
	}
	defer t.Rollback()
	keys, err := t.Open311Keys(ctx)
	if err != nil {
		return store.Open311Key{}, err
	}
	var match []store.Open311Key
	switch {
	case strings.HasPrefix(ref, open311KeyPrefix):
		h := hashOpen311Key(ref)
		match = slices.DeleteFunc(keys, func(k store.Open311Key) bool { return k.Hash != h })
	case len(ref) >= 8 && len(ref) <= 64 && strings.Trim(strings.ToLower(ref), "0123456789abcdef") == "":
		match = slices.DeleteFunc(keys, func(k store.Open311Key) bool { return !strings.HasPrefix(k.Hash, strings.ToLower(ref)) })
	default:
		return store.Open311Key{}, streetdesk.Errorf(streetdesk.EINVALID, "name the key by its id (8–64 hex digits, from open311-key list) or by the key itself")
	}
	switch len(match) {
	case 0:
		return store.Open311Key{}, streetdesk.Errorf(streetdesk.ENOTFOUND, "no api_key %s", ref)
	case 1:
	default:
		return store.Open311Key{}, streetdesk.Errorf(streetdesk.EINVALID, "%d api_keys start with %s: give more digits", len(match), ref)
	}
	if err := t.DeleteOpen311Key(ctx, match[0].Hash); err != nil {
		return store.Open311Key{}, err
	}
	return match[0], t.Commit()
}

// open311Posted is the answer to a POST: the token to follow the request.
type open311Posted struct {
	XMLName       xml.Name `json:"-" xml:"request"`
	Token         string   `json:"token" xml:"token"`
	ServiceNotice string   `json:"service_notice" xml:"service_notice"`
	AccountID     *string  `json:"account_id" xml:"account_id,omitempty"`
}

// open311Token is the answer of tokens/{token}: the order's id once a
// dispatcher has dispatched the request, null until then.
type open311Token struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID *string  `json:"service_request_id" xml:"service_request_id,omitempty"`
	Token            string   `json:"token" xml:"token"`
}

const open311PostedNotice = "已受理，等待派单；派单后凭 token 可查询工单号"

func (s *Server) handleOpen311Post(w http.ResponseWriter, r *http.Request, f open311Format) {
	r.Body = http.MaxBytesReader(w, r.Body, smallBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch ct {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(smallBody)
	default:
		writeOpen311Error(w, f, http.StatusUnsupportedMediaType, "the body must be form fields (application/x-www-form-urlencoded or multipart/form-data)")
		return
	}
	if err != nil {
		writeOpen311Error(w, f, http.StatusBadRequest, fmt.Sprintf("unreadable form (at most %d KiB): %v", smallBody>>10, err))
		return
	}
	form := r.PostForm
	key := form.Get("api_key")
	if key == "" {
		writeOpen311Error(w, f, http.StatusBadRequest, "api_key is required")
		return
	}
	k, err := s.db.Open311Key(r.Context(), hashOpen311Key(key))
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		writeOpen311Error(w, f, http.StatusForbidden, "invalid api_key")
		return
	}
	if err != nil {
		s.open311Fail(w, r, f, err)
		return
	}
	if wait := s.open311Posts.allow(k.Hash); wait > 0 {
		open311TooMany(w, f, wait, "too many requests with this api_key")
		return
	}
	in, err := s.open311Intake(form, k)
	if err != nil {
		s.open311Fail(w, r, f, err)
		return
	}
	t, err := s.begin(r.Context())
	if err != nil {
		s.open311Fail(w, r, f, err)
		return
	}
	defer t.Rollback()
	in.ReceivedAt = t.now
	if err := t.InsertIntake(r.Context(), in); err != nil {
		s.open311Fail(w, r, f, err)
		return
	}
	if err := t.Commit(); err != nil {
		s.open311Fail(w, r, f, err)
		return
	}
	writeOpen311(w, f, http.StatusOK, "service_requests", []open311Posted{{Token: in.Token, ServiceNotice: open311PostedNotice}})
}

// open311Intake reads a POST's fields as the spec names them.
func (s *Server) open311Intake(form url.Values, k store.Open311Key) (streetdesk.Open311Intake, error) {
	in := streetdesk.Open311Intake{Token: randomHex(16), Channel: k.Channel, KeyName: k.Name}
	for name, vs := range form {
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return in, streetdesk.Errorf(streetdesk.EINVALID, "%s is not valid UTF-8", name)
			}
		}
	}
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	in.ServiceCode = get("service_code")
	if in.ServiceCode == "" {
		return in, streetdesk.Errorf(streetdesk.EINVALID, "service_code is required")
	}
	if _, ok := s.cfg.Taxonomy.Lookup(in.ServiceCode); !ok {
		return in, streetdesk.Errorf(streetdesk.EINVALID, "unknown service_code %q", in.ServiceCode)
	}
	lat, long := get("lat"), get("long")
	if (lat == "") != (long == "") {
		return in, streetdesk.Errorf(streetdesk.EINVALID, "lat and long go together")
	}
	if lat != "" {
		var err1, err2 error
		in.Lat, err1 = strconv.ParseFloat(lat, 64)
		in.Lng, err2 = strconv.ParseFloat(long, 64)
		if err1 != nil || err2 != nil || !(in.Lat >= -90 && in.Lat <= 90 && in.Lng >= -180 && in.Lng <= 180) || in.Lat == 0 && in.Lng == 0 {
			return in, streetdesk.Errorf(streetdesk.EINVALID, "lat and long must be WGS-84 degrees (lat −90…90, long −180…180, not 0,0)")
		}
	}
	in.Address = strings.Join(strings.Fields(form.Get("address_string")), " ")
	if lat == "" && in.Address == "" {
		return in, streetdesk.Errorf(streetdesk.EINVALID, "a place is required: lat and long, or address_string (address_id is not supported)")
	}
	in.Description = get("description")
	in.CitizenName = strings.TrimSpace(get("last_name") + get("first_name"))
	in.CitizenPhone, in.Email, in.MediaURL = get("phone"), get("email"), get("media_url")
	for _, c := range []struct {
		name, v string
		max     int
	}{{"description", in.Description, streetdesk.MaxNoteRunes}, {"address_string", in.Address, 500},
		{"first_name and last_name", in.CitizenName, 50}, {"phone", in.CitizenPhone, 30}, {"email", in.Email, 254},
		{"media_url", in.MediaURL, 2000}} {
		if n := utf8.RuneCountInString(c.v); n > c.max {
			return in, streetdesk.Errorf(streetdesk.EINVALID, "%s is too long: %d characters, at most %d", c.name, n, c.max)
		}
	}
	if in.MediaURL != "" {
		u, err := url.Parse(in.MediaURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return in, streetdesk.Errorf(streetdesk.EINVALID, "media_url must be an http or https URL")
		}
	}
	return in, nil
}

func (s *Server) handleOpen311Token(w http.ResponseWriter, r *http.Request, f open311Format) {
	tok := r.PathValue("name")
	in, err := s.db.Intake(r.Context(), tok)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND || len(tok) != 32 {
		writeOpen311Error(w, f, http.StatusNotFound, "no such token")
		return
	}
	if err != nil {
		s.open311Fail(w, r, f, err)
		return
	}
	a := open311Token{Token: in.Token}
	if in.OrderID != "" {
		a.ServiceRequestID = &in.OrderID
	}
	writeOpen311(w, f, http.StatusOK, "service_requests", []open311Token{a})
}

// handleIntakeQueue lists the requests waiting in the intake queue, oldest
// first, for the dispatcher (with the citizen's contact).
func (s *Server) handleIntakeQueue(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	limit := streetdesk.DefaultPageSize
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > streetdesk.MaxPageSize {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, fmt.Sprintf("limit must be 1–%d", streetdesk.MaxPageSize))
			return
		}
		limit = n
	}
	q, err := s.db.IntakeQueue(r.Context(), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if q == nil {
		q = []streetdesk.Open311Intake{}
	}
	writeJSON(w, http.StatusOK, streetdesk.IntakeQueue{Requests: q})
}

// linkIntake marks the intake request a dispatch came from.
func (t *tx) linkIntake(ctx context.Context, token, orderID string) error {
	err := t.LinkIntake(ctx, token, orderID)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		return streetdesk.Errorf(streetdesk.EINVALID, "unknown intakeToken")
	}
	return err
}
