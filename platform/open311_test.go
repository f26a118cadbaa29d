package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// get fetches an Open311 path and returns the status and body.
func (e *env) open311(path string) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+"/open311/v2/"+path, nil)
	return e.send(req, nil)
}

// open311Orders dispatches four orders and takes them through the
// lifecycle: one waiting, one accepted, one resolved and closed, one
// cancelled.
func open311Orders(t *testing.T, e *env) (waiting, accepted, closed, cancelled *streetdesk.WorkOrder) {
	ctx := context.Background()
	waiting = e.dispatch("teamA", "")
	e.clock.Add(time.Minute)
	accepted = e.dispatch("teamA", "cw01")
	e.clock.Add(time.Minute)
	closed = e.dispatch("teamA", "cw01")
	e.clock.Add(time.Minute)
	cancelled = e.dispatch("teamC", "")
	c := e.client("cw01")
	for _, o := range []*streetdesk.WorkOrder{accepted, closed} {
		if r := c.pushOne(c.mut(streetdesk.MutAccept, o, nil)); r.Status != streetdesk.ResultApplied {
			t.Fatalf("accept: %+v", r)
		}
	}
	o := e.order(closed.ID)
	if r := c.pushOne(c.mut(streetdesk.MutSubmitResolution, o, goodResolution())); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve: %+v", r)
	}
	if _, err := e.centreAs("callback").Callback(ctx, closed.ID, streetdesk.RatingSatisfied, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.centre.Cancel(ctx, cancelled.ID, "重复工单"); err != nil {
		t.Fatal(err)
	}
	return e.order(waiting.ID), e.order(accepted.ID), e.order(closed.ID), e.order(cancelled.ID)
}

// decodeBoth fetches a requests path as JSON and as XML and reads both with
// the reader that imports other cities' captures; they must agree.
func decodeBoth(t *testing.T, e *env, path, query string) []streetdesk.Open311Request {
	t.Helper()
	var got [2][]streetdesk.Open311Request
	for i, ext := range []string{".json", ".xml"} {
		status, body := e.open311(path + ext + query)
		if status != http.StatusOK {
			t.Fatalf("%s%s: %d %s", path, ext, status, body)
		}
		recs, err := streetdesk.DecodeOpen311Requests(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s%s: %v\n%s", path, ext, err, body)
		}
		for _, r := range recs {
			if r.Err != nil {
				t.Fatalf("%s%s record %d: %v", path, ext, r.Index, r.Err)
			}
			r.XMLName = xml.Name{}
			got[i] = append(got[i], r.Open311Request)
		}
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Fatalf("%s: JSON and XML differ:\n%+v\n%+v", path, got[0], got[1])
	}
	return got[0]
}

func TestOpen311Requests(t *testing.T) {
	e := newEnv(t)
	waiting, accepted, closed, cancelled := open311Orders(t, e)
	e.clock.Add(time.Hour)
	reqs := decodeBoth(t, e, "requests", "")
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	// Newest first.
	byID := map[string]streetdesk.Open311Request{}
	for i, want := range []*streetdesk.WorkOrder{cancelled, closed, accepted, waiting} {
		if string(reqs[i].ServiceRequestID) != want.ID {
			t.Errorf("request %d is %s, want %s", i, reqs[i].ServiceRequestID, want.ID)
		}
		byID[want.ID] = reqs[i]
	}
	item, _ := streetdesk.SampleTaxonomy().Lookup(sampleL3())
	for _, c := range []struct {
		o      *streetdesk.WorkOrder
		status string
		notes  string
	}{
		{waiting, "open", "已受理，已派至桂园街道"},
		{accepted, "open", "处理中"},
		{closed, "closed", "已办结。答复：" + goodResolution().Reply},
		{cancelled, "closed", "已撤单"},
	} {
		r := byID[c.o.ID]
		checkOpen311Required(t, r)
		if r.Status != c.status || r.StatusNotes != c.notes {
			t.Errorf("%s (%s): %q %q, want %q %q", c.o.ID, c.o.Status, r.Status, r.StatusNotes, c.status, c.notes)
		}
		if string(r.ServiceCode) != item.L3Code || r.ServiceName != item.L3Name || r.Description != c.o.Title ||
			r.Address != "桂园路1号" || r.Lat.Value != 22.54 || r.Long.Value != 114.11 ||
			r.AgencyResponsible != c.o.Location.StreetOffice+" / "+item.Department {
			t.Errorf("%s: %+v", c.o.ID, r)
		}
		at, _ := time.Parse(time.RFC3339, r.RequestedDatetime)
		due, _ := time.Parse(time.RFC3339, r.ExpectedDatetime)
		if !at.Equal(c.o.DispatchedAt) || !due.Equal(c.o.Deadlines.ResolveBy) || !strings.HasSuffix(r.RequestedDatetime, "+08:00") {
			t.Errorf("%s: requested %s expected %s, want %v %v", c.o.ID, r.RequestedDatetime, r.ExpectedDatetime, c.o.DispatchedAt, c.o.Deadlines.ResolveBy)
		}
		if r.MediaURL != "" {
			t.Errorf("%s: media_url %q without a publishable photo", c.o.ID, r.MediaURL)
		}
	}

	// The spec's field names, all there in JSON; nothing of the citizen or
	// the caseworker anywhere.
	for _, ext := range []string{".json", ".xml"} {
		_, body := e.open311("requests" + ext)
		for _, secret := range []string{"13812345678", "5678", "张三", "张*", "王芳", "cw01", waiting.Complaint, "井盖缺失，夜间"} {
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("requests%s shows %q", ext, secret)
			}
		}
	}
	_, body := e.open311("requests.json")
	var raw []map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
		"agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
		"address", "address_id", "zipcode", "lat", "long"} {
		if _, ok := raw[0][k]; !ok {
			t.Errorf("JSON request without %q: %v", k, raw[0])
		}
	}
	if _, ok := raw[0]["lat"].(float64); !ok {
		t.Errorf("lat is %T, want a number", raw[0]["lat"])
	}

	// One request, and the queries.
	if got := decodeBoth(t, e, "requests/"+closed.ID, ""); len(got) != 1 || got[0] != byID[closed.ID] {
		t.Errorf("requests/%s: %+v", closed.ID, got)
	}
	ids := func(rs []streetdesk.Open311Request) string {
		var s []string
		for _, r := range rs {
			s = append(s, string(r.ServiceRequestID))
		}
		return strings.Join(s, ",")
	}
	other := streetdesk.SampleTaxonomy().Items[1].L3Code
	for _, c := range []struct{ query, want string }{
		{"?status=closed", cancelled.ID + "," + closed.ID},
		{"?status=open", accepted.ID + "," + waiting.ID},
		{"?status=Open,closed", cancelled.ID + "," + closed.ID + "," + accepted.ID + "," + waiting.ID},
		{"?service_request_id=" + waiting.ID + "," + closed.ID + "&status=closed", closed.ID + "," + waiting.ID},
		{"?service_code=" + other, ""},
		{"?service_code=" + other + "," + sampleL3() + "&status=open", accepted.ID + "," + waiting.ID},
		{"?page_size=1&page=2", closed.ID},
		{"?page_size=3&page=2", waiting.ID},
		{"?page=3&page_size=2", ""},
		{"?start_date=" + url.QueryEscape(accepted.DispatchedAt.Format(time.RFC3339)) + "&end_date=" + url.QueryEscape(closed.DispatchedAt.Format(time.RFC3339)), closed.ID + "," + accepted.ID},
		{"?start_date=" + url.QueryEscape(cancelled.DispatchedAt.Add(time.Second).UTC().Format(time.RFC3339)), ""},
		{"?end_date=" + url.QueryEscape(waiting.DispatchedAt.Add(-time.Second).Format(time.RFC3339)), ""},
	} {
		if got := ids(decodeBoth(t, e, "requests", c.query)); got != c.want {
			t.Errorf("requests%s: %s, want %s", c.query, got, c.want)
		}
	}
}

// checkOpen311Required checks the fields the spec requires of a request.
func checkOpen311Required(t *testing.T, r streetdesk.Open311Request) {
	t.Helper()
	if r.ServiceRequestID == "" || r.ServiceCode == "" || r.ServiceName == "" || r.RequestedDatetime == "" ||
		(r.Status != "open" && r.Status != "closed") || (r.Address == "" && !(r.Lat.Valid && r.Long.Valid)) {
		t.Errorf("a required field is missing: %+v", r)
	}
	for _, ts := range []string{r.RequestedDatetime, r.UpdatedDatetime, r.ExpectedDatetime} {
		if _, err := time.Parse(time.RFC3339, ts); ts != "" && err != nil {
			t.Errorf("time %q is not W3C with an offset", ts)
		}
	}
}

func TestOpen311Services(t *testing.T) {
	e := newEnv(t)
	tax := streetdesk.SampleTaxonomy()
	var lists [2][]streetdesk.Open311Service
	for i, ext := range []string{".json", ".xml"} {
		status, body := e.open311("services" + ext)
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, body)
		}
		ss, err := streetdesk.DecodeOpen311Services(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for j := range ss {
			ss[j].XMLName = xml.Name{}
		}
		lists[i] = ss
	}
	if !reflect.DeepEqual(lists[0], lists[1]) || len(lists[0]) != len(tax.Items) {
		t.Fatalf("JSON %d and XML %d services differ or miss some (%d items)", len(lists[0]), len(lists[1]), len(tax.Items))
	}
	for i, s := range lists[0] {
		it := tax.Items[i]
		if string(s.ServiceCode) != it.L3Code || s.ServiceName != it.L3Name || s.Group != it.L1Name || s.Type != "realtime" || s.Metadata {
			t.Errorf("service %d: %+v, want %s %s in %s", i, s, it.L3Code, it.L3Name, it.L1Name)
		}
	}
	for _, ext := range []string{".json", ".xml"} {
		status, body := e.open311("services/" + sampleL3() + ext)
		if status != http.StatusOK || !bytes.Contains(body, []byte(sampleL3())) {
			t.Errorf("definition%s: %d %s", ext, status, body)
		}
		status, body = e.open311("discovery" + ext)
		if status != http.StatusOK || !bytes.Contains(body, []byte(e.ts.URL+"/open311/v2")) || !bytes.Contains(body, []byte("GeoReport_v2")) {
			t.Errorf("discovery%s: %d %s", ext, status, body)
		}
	}
	var d struct {
		Endpoints []struct {
			Formats []string `xml:"formats>format"`
		} `xml:"endpoints>endpoint"`
	}
	_, body := e.open311("discovery.xml")
	if err := xml.Unmarshal(body, &d); err != nil || len(d.Endpoints) != 1 || len(d.Endpoints[0].Formats) != 2 {
		t.Errorf("discovery.xml: %+v %v", d, err)
	}
}

// TestOpen311BadInput: each mistake gets the spec's error array in the
// format asked for, with a status and a description that says what is
// wrong.
func TestOpen311BadInput(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "")
	for _, c := range []struct {
		path   string
		status int
		want   string
	}{
		{"requests.json?start_date=yesterday", 400, "start_date must be a W3C date-time"},
		{"requests.json?end_date=2026-11-23", 400, "end_date must be a W3C date-time"},
		{"requests.json?start_date=2026-11-23T09:00:00%2B08:00&end_date=2026-11-22T09:00:00%2B08:00", 400, "end_date is before start_date"},
		{"requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-11-22T09:00:00%2B08:00", 400, "at most 90 days apart"},
		{"requests.json?service_code=nosuch", 400, `unknown service_code "nosuch"`},
		{"requests.json?status=pending", 400, "status must be open or closed"},
		{"requests.json?page_size=0", 400, "page_size must be"},
		{"requests.json?page_size=501", 400, "page_size must be"},
		{"requests.json?page=x", 400, "page must be"},
		{"requests.json?service_request_id=..%2Fetc", 400, "is not a request id"},
		{"requests/" + o.ID + "X.json", 404, "no such request"},
		{"requests/" + o.ID + ".html", 404, "must end in .json or .xml"},
		{"services/nosuch.json", 404, `no service "nosuch"`},
		{"requests.html", 404, "no such Open311 endpoint"},
		{"nothing.json", 404, "no such Open311 endpoint"},
	} {
		for _, ext := range []string{"json", "xml"} {
			path := c.path
			if ext == "xml" {
				path = strings.Replace(path, ".json", ".xml", 1)
			}
			status, body := e.open311(path)
			var errs []streetdesk.Open311Error
			var err error
			if strings.Contains(path, ".xml") {
				var doc struct {
					XMLName xml.Name                  `xml:"errors"`
					Errors  []streetdesk.Open311Error `xml:"error"`
				}
				err = xml.Unmarshal(body, &doc)
				errs = doc.Errors
			} else {
				err = json.Unmarshal(body, &errs)
			}
			if status != c.status || err != nil || len(errs) != 1 || errs[0].Code != c.status || !strings.Contains(errs[0].Description, c.want) {
				t.Errorf("%s: %d %s (%v), want %d %q", path, status, body, err, c.status, c.want)
			}
			if _, derr := streetdesk.DecodeOpen311Requests(bytes.NewReader(body)); derr == nil && strings.HasPrefix(path, "requests") {
				t.Errorf("%s: the reader took the error answer for requests", path)
			}
		}
	}
}
