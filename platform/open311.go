package platform

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// Open311 GeoReport v2 (docs/protocol.md §Open311) under /open311/v2/: the
// duty list as services and the orders as service requests, in JSON or XML
// as the path's extension says. Reading is public, as the spec has it, so
// a request shows nothing of the citizen or the caseworker: its title (not
// the citizen's own words), category, place, status and the public reply.

const open311Prefix = "/open311/v2/"

// Open311 paging and the time window of a query.
const (
	open311DefaultPage = 100
	open311MaxPage     = 500
	open311MaxWindow   = 90 * 24 * time.Hour // the spec's default window
)

// open311Status maps the lifecycle to Open311's status and status_notes:
// docs/protocol.md prints this table. The notes use the citizen's words
// (the tracking page's steps); %s is the street office.
var open311Status = map[streetdesk.Status]struct {
	closed bool
	notes  string
}{
	streetdesk.StatusDispatched:         {false, "已受理，已派至%s"},
	streetdesk.StatusAccepted:           {false, "处理中"},
	streetdesk.StatusReturnRequested:    {false, "处理中"},
	streetdesk.StatusExtensionRequested: {false, "处理中"},
	streetdesk.StatusAwaitingReview:     {false, "处理中"},
	streetdesk.StatusReopened:           {false, "重新办理中"},
	streetdesk.StatusReturned:           {false, "已退回热线平台，重新派遣中"},
	streetdesk.StatusResolved:           {true, "已办结，待回访"},
	streetdesk.StatusClosed:             {true, "已办结"},
	streetdesk.StatusCancelled:          {true, "已撤单"},
}

// open311Statuses returns the lifecycle states behind "open" or "closed".
func open311Statuses(closed bool) []streetdesk.Status {
	var out []streetdesk.Status
	for st, m := range open311Status {
		if m.closed == closed {
			out = append(out, st)
		}
	}
	return out
}

// open311Format is the answer's format, from the path's extension.
type open311Format string

const (
	formatJSON open311Format = "json"
	formatXML  open311Format = "xml"
)

// splitFormat cuts "name.json" into name and format; ok is false for any
// other extension.
func splitFormat(file string) (string, open311Format, bool) {
	i := strings.LastIndexByte(file, '.')
	if i < 0 {
		return file, formatJSON, false
	}
	switch f := open311Format(file[i+1:]); f {
	case formatJSON, formatXML:
		return file[:i], f, true
	}
	return file[:i], formatJSON, false
}

func (s *Server) open311Routes(m *patternMux) {
	// Every Open311 request counts against its address's limit first.
	handle := func(pattern string, h http.HandlerFunc) { m.HandleFunc(pattern, s.open311Limited(h)) }
	for _, f := range []open311Format{formatJSON, formatXML} {
		handle("GET "+open311Prefix+"discovery."+string(f), s.open311(f, s.handleOpen311Discovery))
		handle("GET "+open311Prefix+"services."+string(f), s.open311(f, s.handleOpen311Services))
		handle("GET "+open311Prefix+"requests."+string(f), s.open311(f, s.handleOpen311Requests))
	}
	handle("GET "+open311Prefix+"services/{file}", s.open311File(s.handleOpen311Definition))
	handle("GET "+open311Prefix+"requests/{file}", s.open311File(s.handleOpen311Request))
	handle("GET "+open311Prefix+"tokens/{file}", s.open311File(s.handleOpen311Token))
	handle("GET "+open311Prefix+"media/{file}", s.handleOpen311Media)
	handle("POST "+open311Prefix+"requests.json", s.open311(formatJSON, s.handleOpen311Post))
	handle("POST "+open311Prefix+"requests.xml", s.open311(formatXML, s.handleOpen311Post))
	m.HandleFunc("GET /v1/centre/intake", s.as([]streetdesk.Role{streetdesk.RoleDispatcher}, s.handleIntakeQueue))
	m.HandleFunc(open311Prefix, func(w http.ResponseWriter, r *http.Request) {
		_, f, _ := splitFormat(r.URL.Path)
		writeOpen311Error(w, f, http.StatusNotFound, "no such Open311 endpoint")
	})
}

type open311Handler func(w http.ResponseWriter, r *http.Request, f open311Format)

// open311Limited answers 429 with Retry-After when the client's address
// is over Config.Open311ReadsPerMinute.
func (s *Server) open311Limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if wait := s.open311Reads.allow(remoteAddr(r)); wait > 0 {
			_, f, _ := splitFormat(r.URL.Path)
			open311TooMany(w, f, wait, "too many requests from this address")
			return
		}
		h(w, r)
	}
}

// open311TooMany is the 429 answer of a rate limit, in the spec's error
// format, with the wait in whole seconds (rounded up).
func open311TooMany(w http.ResponseWriter, f open311Format, wait time.Duration, what string) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeOpen311Error(w, f, http.StatusTooManyRequests, fmt.Sprintf("%s; retry in %d s", what, secs))
}

func (s *Server) open311(f open311Format, h open311Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h(w, r, f) }
}

// open311File serves paths ending in {name}.json or .xml; the handler finds
// the name in the request's "name" path value.
func (s *Server) open311File(h open311Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, f, ok := splitFormat(r.PathValue("file"))
		if !ok {
			writeOpen311Error(w, f, http.StatusNotFound, "the path must end in .json or .xml")
			return
		}
		r.SetPathValue("name", name)
		h(w, r, f)
	}
}

// writeOpen311 writes v as JSON, or as XML under the root element (none:
// v is its own root).
func writeOpen311(w http.ResponseWriter, f open311Format, status int, root string, v any) {
	var b []byte
	var err error
	if f == formatXML {
		b, err = xml.Marshal(v)
		if err == nil && root != "" {
			b = append([]byte("<"+root+">"), append(b, "</"+root+">"...)...)
		}
		b = append(append([]byte(xml.Header), b...), '\n')
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	} else {
		b, err = json.Marshal(v)
		b = append(b, '\n')
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	if err != nil {
		writeOpen311Error(w, f, http.StatusInternalServerError, "internal error")
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(b) // a client gone away: nothing left to do
}

// writeOpen311Error answers with the spec's error array.
func writeOpen311Error(w http.ResponseWriter, f open311Format, status int, desc string) {
	w.Header().Del("Content-Encoding")
	writeOpen311(w, f, status, "errors", []streetdesk.Open311Error{{Code: status, Description: desc}})
}

func (s *Server) open311Fail(w http.ResponseWriter, r *http.Request, f open311Format, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		w.Header().Set("Retry-After", "1")
		writeOpen311Error(w, f, http.StatusServiceUnavailable, "temporary failure; retry")
		return
	}
	switch streetdesk.ErrorCode(err) {
	case streetdesk.ENOTFOUND:
		writeOpen311Error(w, f, http.StatusNotFound, streetdesk.ErrorMessage(err))
	case streetdesk.EINVALID:
		writeOpen311Error(w, f, http.StatusBadRequest, streetdesk.ErrorMessage(err))
	case streetdesk.EFORBIDDEN:
		writeOpen311Error(w, f, http.StatusForbidden, streetdesk.ErrorMessage(err))
	default:
		s.log.Error("open311", "request_id", r.Context().Value(ctxRequestID), "err", err)
		writeOpen311Error(w, f, http.StatusInternalServerError, "internal error")
	}
}

// open311Discovery is the discovery document.
type open311Discovery struct {
	XMLName    xml.Name          `json:"-" xml:"discovery"`
	Changeset  string            `json:"changeset" xml:"changeset"`
	Contact    string            `json:"contact" xml:"contact"`
	KeyService string            `json:"key_service" xml:"key_service"`
	Endpoints  []open311Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

type open311Endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

// open311Changeset dates this implementation of the API.
const open311Changeset = "2026-12-04T00:00:00+08:00"

func (s *Server) handleOpen311Discovery(w http.ResponseWriter, r *http.Request, f open311Format) {
	d := open311Discovery{Changeset: open311Changeset,
		Contact:    "12345 市民服务热线",
		KeyService: "api_key 由平台管理员按渠道发放（platformd open311-key add）",
		Endpoints: []open311Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2",
			URL: open311Base(r) + strings.TrimSuffix(open311Prefix, "/"), Changeset: open311Changeset,
			Type: "production", Formats: []string{"text/xml", "application/json"}}}}
	writeOpen311(w, f, http.StatusOK, "", d)
}

// open311Service is a duty-list leaf as a service: the level-3 code and
// name, the level-1 name as its group.
func open311Service(it streetdesk.DutyItem) streetdesk.Open311Service {
	return streetdesk.Open311Service{ServiceCode: streetdesk.Open311Text(it.L3Code), ServiceName: it.L3Name,
		Description: fmt.Sprintf("%s（%s），%d个工作日内办结", it.Category.Path(), it.Department, it.ResolveWorkdays),
		Type:        "realtime", Keywords: it.L2Name, Group: it.L1Name}
}

func (s *Server) handleOpen311Services(w http.ResponseWriter, r *http.Request, f open311Format) {
	out := make([]streetdesk.Open311Service, 0, len(s.cfg.Taxonomy.Items))
	for _, it := range s.cfg.Taxonomy.Items {
		out = append(out, open311Service(it))
	}
	writeOpen311(w, f, http.StatusOK, "services", out)
}

// open311Definition is a service definition: no service asks for more
// than the spec's fields, so it has no attributes.
type open311Definition struct {
	XMLName     xml.Name `json:"-" xml:"service_definition"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	Attributes  []struct {
		Code string `json:"code" xml:"code"`
	} `json:"attributes" xml:"attributes>attribute"`
}

func (s *Server) handleOpen311Definition(w http.ResponseWriter, r *http.Request, f open311Format) {
	code := r.PathValue("name")
	if _, ok := s.cfg.Taxonomy.Lookup(code); !ok {
		writeOpen311Error(w, f, http.StatusNotFound, fmt.Sprintf("no service %q", code))
		return
	}
	d := open311Definition{ServiceCode: code}
	d.Attributes = d.Attributes[:0] // [] rather than null
	writeOpen311(w, f, http.StatusOK, "", d)
}

// open311Query reads a requests query: service_request_id (which makes the
// others ignored, as the spec says), service_code, start_date, end_date,
// status (each list comma-separated), page and page_size.
func (s *Server) open311Query(q map[string][]string) (store.Open311Filter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	list := func(k string) []string {
		var out []string
		for _, v := range strings.Split(get(k), ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	f := store.Open311Filter{Limit: open311DefaultPage}
	page := 1
	for _, p := range []struct {
		name     string
		v        *int
		min, max int
	}{{"page", &page, 1, 1 << 20}, {"page_size", &f.Limit, 1, open311MaxPage}} {
		if v := get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < p.min || n > p.max {
				return f, streetdesk.Errorf(streetdesk.EINVALID, "%s must be a whole number from %d to %d", p.name, p.min, p.max)
			}
			*p.v = n
		}
	}
	f.Offset = (page - 1) * f.Limit
	if ids := list("service_request_id"); len(ids) > 0 {
		for i, id := range ids {
			if ids[i] = streetdesk.NormalizeOrderID(id); !streetdesk.ValidOrderID(ids[i]) {
				return f, streetdesk.Errorf(streetdesk.EINVALID, "service_request_id %q is not a request id", id)
			}
		}
		f.IDs = ids
		return f, nil
	}
	for _, c := range list("service_code") {
		if _, ok := s.cfg.Taxonomy.Lookup(c); !ok {
			return f, streetdesk.Errorf(streetdesk.EINVALID, "unknown service_code %q", c)
		}
		f.L3Codes = append(f.L3Codes, c)
	}
	for _, st := range list("status") {
		closed, known := streetdesk.Open311Closed(st)
		if !known {
			return f, streetdesk.Errorf(streetdesk.EINVALID, "status must be open or closed, not %q", st)
		}
		f.Statuses = append(f.Statuses, open311Statuses(closed)...)
	}
	for _, d := range []struct {
		name string
		t    *time.Time
	}{{"start_date", &f.From}, {"end_date", &f.To}} {
		if v := get(d.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, streetdesk.Errorf(streetdesk.EINVALID, "%s must be a W3C date-time with its offset (2026-11-23T09:00:00+08:00), not %q", d.name, v)
			}
			*d.t = t
		}
	}
	switch {
	case f.From.IsZero() && f.To.IsZero():
		f.To = s.now()
		f.From = f.To.Add(-open311MaxWindow)
	case f.From.IsZero():
		f.From = f.To.Add(-open311MaxWindow)
	case f.To.IsZero():
		f.To = f.From.Add(open311MaxWindow)
	}
	if f.To.Before(f.From) {
		return f, streetdesk.Errorf(streetdesk.EINVALID, "end_date is before start_date")
	}
	if f.To.Sub(f.From) > open311MaxWindow {
		return f, streetdesk.Errorf(streetdesk.EINVALID, "start_date and end_date may be at most 90 days apart")
	}
	return f, nil
}

func (s *Server) handleOpen311Requests(w http.ResponseWriter, r *http.Request, f open311Format) {
	flt, err := s.open311Query(r.URL.Query())
	if err != nil {
		s.open311Fail(w, r, f, err)
		return
	}
	out, err := s.open311Requests(r, flt)
	if err != nil {
		s.open311Fail(w, r, f, err)
		return
	}
	writeOpen311(w, f, http.StatusOK, "service_requests", out)
}

func (s *Server) handleOpen311Request(w http.ResponseWriter, r *http.Request, f open311Format) {
	id := streetdesk.NormalizeOrderID(r.PathValue("name"))
	if !streetdesk.ValidOrderID(id) {
		writeOpen311Error(w, f, http.StatusNotFound, "no such request")
		return
	}
	out, err := s.open311Requests(r, store.Open311Filter{IDs: []string{id}, Limit: 1})
	if err != nil {
		s.open311Fail(w, r, f, err)
		return
	}
	if len(out) == 0 {
		writeOpen311Error(w, f, http.StatusNotFound, "no such request")
		return
	}
	writeOpen311(w, f, http.StatusOK, "service_requests", out)
}

// open311Requests reads the orders and what the public may see of their
// resolutions, from one snapshot.
func (s *Server) open311Requests(r *http.Request, flt store.Open311Filter) ([]streetdesk.Open311Request, error) {
	ctx := r.Context()
	rt, err := s.db.BeginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rt.Rollback()
	orders, err := rt.Open311Orders(ctx, flt)
	if err != nil {
		return nil, err
	}
	out := make([]streetdesk.Open311Request, 0, len(orders))
	for i := range orders {
		o := &orders[i]
		reply := ""
		if m := open311Status[o.Status]; m.closed && o.Status != streetdesk.StatusCancelled {
			rs, err := rt.Resolutions(ctx, o.ID)
			if err != nil {
				return nil, err
			}
			reply = publicReply(rs, o.Cycle)
		}
		photos, err := rt.PhotoRefs(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		req := open311Request(o, reply)
		req.MediaURL = open311MediaURL(open311Base(r), photos)
		out = append(out, req)
	}
	return out, nil
}

// publicReply is the reply of the cycle's accepted resolution, or "".
func publicReply(rs []streetdesk.Resolution, cycle int) string {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Cycle == cycle && rs[i].State == streetdesk.ResolutionAccepted {
			return rs[i].Reply
		}
	}
	return ""
}

// open311Time writes a time with its offset, in China's zone; none is "".
func open311Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(streetdesk.ChinaTZ).Format(streetdesk.Open311TimeLayout)
}

// open311Request is what the public sees of an order. The description is
// the order's title, written by the hotline, not the citizen's complaint,
// which may name them or give their number.
func open311Request(o *streetdesk.WorkOrder, reply string) streetdesk.Open311Request {
	m, ok := open311Status[o.Status]
	if !ok {
		m.notes = "处理中"
	}
	notes := m.notes
	if strings.Contains(notes, "%s") {
		office := o.Location.StreetOffice
		if office == "" {
			office = "街道"
		}
		notes = fmt.Sprintf(notes, office)
	}
	if reply != "" {
		notes += "。答复：" + reply
	}
	status := "open"
	if m.closed {
		status = "closed"
	}
	var agency []string
	for _, a := range []string{o.Location.StreetOffice, o.Category.Department} {
		if a != "" {
			agency = append(agency, a)
		}
	}
	req := streetdesk.Open311Request{
		ServiceRequestID: streetdesk.Open311Text(o.ID), Status: status, StatusNotes: notes,
		ServiceName: o.Category.L3Name, ServiceCode: streetdesk.Open311Text(o.Category.L3Code),
		Description: o.Title, AgencyResponsible: strings.Join(agency, " / "),
		RequestedDatetime: open311Time(o.DispatchedAt), UpdatedDatetime: open311Time(o.UpdatedAt),
		ExpectedDatetime: open311Time(o.Deadlines.ResolveBy), Address: o.Location.Address,
	}
	if o.Location.Lat != 0 || o.Location.Lng != 0 {
		req.Lat, req.Long = streetdesk.Num(o.Location.Lat), streetdesk.Num(o.Location.Lng)
	}
	return req
}
