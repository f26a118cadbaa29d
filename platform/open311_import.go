package platform

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streetdesk/streetdesk"
)

// Open311Map maps foreign services to duty-list items: keys are a
// service_code or a service_name, trimmed and lower-cased; values are
// level-3 codes.
type Open311Map map[string]string

func open311Key(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// LoadOpen311Map reads a mapping file: CSV with the header service,l3_code
// ('#' starts a comment line), one foreign service_code or service_name per
// line. An unknown level-3 code or a service named twice is an error naming
// the line.
func (s *Server) LoadOpen311Map(r io.Reader) (Open311Map, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 2
	cr.TrimLeadingSpace = true
	m := Open311Map{}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			if first {
				return nil, streetdesk.Errorf(streetdesk.EINVALID, "mapping: empty file")
			}
			return m, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "mapping: %v", err)
		}
		if first {
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			if open311Key(rec[0]) != "service" || open311Key(rec[1]) != "l3_code" {
				return nil, streetdesk.Errorf(streetdesk.EINVALID, "mapping line %d: the header must be service,l3_code", line)
			}
			continue
		}
		k, code := open311Key(rec[0]), strings.TrimSpace(rec[1])
		if k == "" {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "mapping line %d: no service", line)
		}
		if _, ok := s.cfg.Taxonomy.Lookup(code); !ok {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "mapping line %d: %q is not a level-3 code of the duty list", line, code)
		}
		if _, dup := m[k]; dup {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "mapping line %d: service %q is mapped twice", line, rec[0])
		}
		m[k] = code
	}
}

// Open311ImportOptions say where imported requests go.
type Open311ImportOptions struct {
	TeamID string     // the team whose queue gets the orders (required)
	Map    Open311Map // nil: only service codes that are our level-3 codes map
	// Zone reads times written without one (San Francisco's); default
	// China time.
	Zone *time.Location
	// Prefix starts every order id ("O311" by default): PREFIX-<foreign id>.
	Prefix string
}

// Open311Note is one thing said about a record: why it was not imported,
// or what was left out of the order it became.
type Open311Note struct {
	Index, Line int
	ID          string // the foreign service_request_id
	Text        string
}

// Where says where the record stands: "line 3 (record 2, 1129806)".
func (n Open311Note) Where() string {
	id := n.ID
	if id == "" {
		id = "-"
	}
	return fmt.Sprintf("line %d (record %d, %s)", n.Line, n.Index, id)
}

// Open311ImportResult is what became of a document's records: every record
// is either imported or skipped, never dropped unsaid.
type Open311ImportResult struct {
	Imported []string      // the new orders' ids
	Skipped  []Open311Note // not imported, and why
	Warnings []Open311Note // imported, with what was left out
}

// ImportOpen311 turns GeoReport v2 requests (streetdesk.DecodeOpen311Requests)
// into orders of a team, in one transaction: the service becomes the
// duty-list item by the map, open becomes 待签收 and closed 已归档, the
// request time the dispatch time, expected_datetime the resolve-by (else
// the item's time limit), the place the order's (0,0 or none: no place).
// An id already taken is skipped (a second import of the same file imports
// nothing).
func (s *Server) ImportOpen311(ctx context.Context, recs []streetdesk.Open311Record, opts Open311ImportOptions) (*Open311ImportResult, error) {
	if opts.Zone == nil {
		opts.Zone = streetdesk.ChinaTZ
	}
	if opts.Prefix == "" {
		opts.Prefix = "O311"
	}
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	tm, err := t.Team(ctx, opts.TeamID)
	if err != nil {
		if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "unknown team %q", opts.TeamID)
		}
		return nil, err
	}
	res := &Open311ImportResult{}
	seen := map[string]bool{}
	for _, rec := range recs {
		note := func(list *[]Open311Note, format string, args ...any) {
			*list = append(*list, Open311Note{Index: rec.Index, Line: rec.Line, ID: string(rec.ServiceRequestID), Text: fmt.Sprintf(format, args...)})
		}
		o, warnings, why := s.open311Order(rec, tm, opts)
		if why != "" {
			note(&res.Skipped, "%s", why)
			continue
		}
		if seen[o.ID] {
			note(&res.Skipped, "the same request again in this document")
			continue
		}
		seen[o.ID] = true
		switch _, _, err := t.Order(ctx, o.ID); streetdesk.ErrorCode(err) {
		case "":
			note(&res.Skipped, "already imported as %s", o.ID)
			continue
		case streetdesk.ENOTFOUND:
		default:
			return nil, err
		}
		if err := t.insertOrder(ctx, o, ""); err != nil {
			return nil, err
		}
		for _, w := range warnings {
			note(&res.Warnings, "%s", w)
		}
		res.Imported = append(res.Imported, o.ID)
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// open311Order maps one record to an order, or says why it cannot.
func (s *Server) open311Order(rec streetdesk.Open311Record, tm *streetdesk.Team, opts Open311ImportOptions) (o *streetdesk.WorkOrder, warnings []string, why string) {
	if rec.Err != nil {
		return nil, nil, "unreadable record: " + rec.Err.Error()
	}
	fid := strings.TrimSpace(string(rec.ServiceRequestID))
	if fid == "" {
		return nil, nil, "no service_request_id"
	}
	id := streetdesk.NormalizeOrderID(opts.Prefix + "-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, fid))
	if !streetdesk.ValidOrderID(id) {
		return nil, nil, fmt.Sprintf("service_request_id too long for an order id (%s: at most %d characters)", id, streetdesk.MaxOrderIDLength)
	}
	item, ok := s.open311Item(rec, opts.Map)
	if !ok {
		return nil, nil, fmt.Sprintf("service %q (%s) has no duty-list item: map it in the --map file", string(rec.ServiceCode), rec.ServiceName)
	}
	closed, known := streetdesk.Open311Closed(rec.Status)
	if !known {
		return nil, nil, fmt.Sprintf("status %q is neither open nor closed", rec.Status)
	}
	at, err := streetdesk.ParseOpen311Time(rec.RequestedDatetime, opts.Zone)
	if err != nil || at.IsZero() {
		return nil, nil, fmt.Sprintf("requested_datetime %q is missing or unreadable", rec.RequestedDatetime)
	}
	o = &streetdesk.WorkOrder{ID: id, Channel: streetdesk.ChannelWeb, Category: item.Category, Urgency: streetdesk.UrgencyNormal,
		Status: streetdesk.StatusDispatched, TeamID: tm.ID, Version: 1, DispatchedAt: at, UpdatedAt: at,
		Deadlines: s.cfg.Calendar.ComputeDeadlines(at, item.Limit(), streetdesk.UrgencyNormal),
		Location:  streetdesk.Location{District: tm.District, StreetOffice: tm.StreetOffice, Address: strings.Join(strings.Fields(rec.Address), " ")},
		History:   []streetdesk.Event{{At: at, Actor: "Open311", Kind: "dispatch", Text: "Open311 " + fid + " " + rec.ServiceName}},
	}
	if closed {
		o.Status = streetdesk.StatusClosed
	}
	for _, f := range []struct {
		name, v string
		set     func(time.Time)
	}{
		{"updated_datetime", rec.UpdatedDatetime, func(t time.Time) { o.UpdatedAt = t }},
		{"expected_datetime", rec.ExpectedDatetime, func(t time.Time) { o.Deadlines.ResolveBy = t }},
	} {
		switch t, err := streetdesk.ParseOpen311Time(f.v, opts.Zone); {
		case err != nil:
			warnings = append(warnings, fmt.Sprintf("%s %q unreadable, left out", f.name, f.v))
		case !t.IsZero():
			f.set(t)
		}
	}
	switch lat, lng := rec.Lat, rec.Long; {
	case !lat.Valid || !lng.Valid || lat.Value == 0 && lng.Value == 0:
		warnings = append(warnings, "no coordinates")
	case math.Abs(lat.Value) > 90 || math.Abs(lng.Value) > 180:
		warnings = append(warnings, fmt.Sprintf("coordinates %v,%v out of range, left out", lat.Value, lng.Value))
	default:
		o.Location.Lat, o.Location.Lng = lat.Value, lng.Value
	}
	if o.Location.Address == "" && o.Location.Lat == 0 {
		warnings = append(warnings, "no address either: the order has no place")
	}
	text := strings.TrimSpace(rec.Description)
	if text == "" {
		text = rec.ServiceName
	}
	o.Complaint = truncateRunes(text, streetdesk.MaxNoteRunes)
	o.Title = truncateRunes(strings.Join(strings.Fields(text), " "), 60)
	if o.Complaint != text {
		warnings = append(warnings, fmt.Sprintf("description cut to %d characters", streetdesk.MaxNoteRunes))
	}
	return o, warnings, ""
}

// open311Item finds the duty-list item of a record's service: by the map
// (service_code, then service_name), else a service_code that is one of
// our level-3 codes (our own requests read back).
func (s *Server) open311Item(rec streetdesk.Open311Record, m Open311Map) (streetdesk.DutyItem, bool) {
	for _, k := range []string{string(rec.ServiceCode), rec.ServiceName} {
		if code, ok := m[open311Key(k)]; ok && k != "" {
			return s.cfg.Taxonomy.Lookup(code)
		}
	}
	return s.cfg.Taxonomy.Lookup(strings.TrimSpace(string(rec.ServiceCode)))
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
