package platform_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

func readCapture(t *testing.T, name string) []streetdesk.Open311Record {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "open311", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := streetdesk.DecodeOpen311Requests(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func captureMap(t *testing.T, e *env) platform.Open311Map {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "open311", "map.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := e.srv.LoadOpen311Map(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestImportOpen311Captures imports the real captures: every record is
// imported or reported with its place and reason; a second import adds
// nothing; the quirks (San Francisco's capitalised statuses and zone-less
// times, Bloomington's nulls and zeros) land where they belong.
func TestImportOpen311Captures(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	opts := platform.Open311ImportOptions{TeamID: "teamA", Map: captureMap(t, e), Zone: la}
	for _, c := range []struct {
		file                        string
		imported, skipped, warnings int
	}{
		{"san_francisco_requests_2012-05-22.xml", 37, 19, 1},
		{"bloomington_IN_requests_2012-05-23.json", 15, 6, 5},
		{"chicago_requests_2014-07-12.json", 2, 0, 0},
		{"toronto_requests_2018-07-30.xml", 2, 0, 0},
	} {
		recs := readCapture(t, c.file)
		res, err := e.srv.ImportOpen311(ctx, recs, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Imported) != c.imported || len(res.Skipped) != c.skipped || len(res.Warnings) != c.warnings ||
			len(res.Imported)+len(res.Skipped) != len(recs) {
			t.Errorf("%s: %d imported, %d skipped, %d warnings of %d; want %d, %d, %d", c.file,
				len(res.Imported), len(res.Skipped), len(res.Warnings), len(recs), c.imported, c.skipped, c.warnings)
		}
		for _, n := range append(res.Skipped, res.Warnings...) {
			if n.Line < 1 || n.Index < 1 || n.ID == "" || n.Text == "" {
				t.Errorf("%s: a note without its place: %+v", c.file, n)
			}
		}
		for _, n := range res.Skipped {
			if !strings.Contains(n.Text, "has no duty-list item") {
				t.Errorf("%s: %s skipped: %s", c.file, n.Where(), n.Text)
			}
		}
		again, err := e.srv.ImportOpen311(ctx, recs, opts)
		if err != nil || len(again.Imported) != 0 || len(again.Skipped) != len(recs) {
			t.Errorf("%s again: %+v %v", c.file, again, err)
		}
	}

	// San Francisco: "Closed", a time without a zone in Pacific time,
	// padded address.
	o := e.order("O311-1129755")
	want := time.Date(2012, 5, 22, 20, 17, 35, 317e6, la)
	if o.Status != streetdesk.StatusClosed || !o.DispatchedAt.Equal(want) || o.Category.L3Code != "040101" || o.TeamID != "teamA" ||
		o.Location.StreetOffice != "桂园街道" || strings.Contains(o.Location.Address, "  ") {
		t.Errorf("SF closed: %+v (dispatched %v, want %v)", o, o.DispatchedAt, want)
	}
	// Bloomington: lat/long null → no place; the text kept.
	o = e.order("O311-4FBD2B76B1FE2C195F000000")
	if o.Location.Lat != 0 || o.Location.Lng != 0 || o.Status != streetdesk.StatusDispatched || o.Complaint == "" {
		t.Errorf("Bloomington without coordinates: %+v", o)
	}
	// Toronto: expected_datetime is the resolve-by.
	o = e.order("O311-101005420892")
	if !o.Deadlines.ResolveBy.Equal(time.Date(2018, 8, 3, 0, 1, 0, 0, time.FixedZone("", -4*3600))) || o.Location.Lat != 43.691104288 {
		t.Errorf("Toronto: %+v", o)
	}
}

// TestImportOpen311OwnAnswers: what the platform serves reads back into
// another platform unchanged in what Open311 carries (no mapping needed:
// our service codes are our level-3 codes).
func TestImportOpen311OwnAnswers(t *testing.T) {
	e := newEnv(t)
	waiting, _, closed, cancelled := open311Orders(t, e)
	_, body := e.open311("requests.xml")
	recs, err := streetdesk.DecodeOpen311Requests(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	other := newEnv(t)
	res, err := other.srv.ImportOpen311(context.Background(), recs, platform.Open311ImportOptions{TeamID: "teamC", Prefix: "GY"})
	if err != nil || len(res.Imported) != 4 || len(res.Skipped) != 0 || len(res.Warnings) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	for _, c := range []struct {
		o    *streetdesk.WorkOrder
		want streetdesk.Status
	}{{waiting, streetdesk.StatusDispatched}, {closed, streetdesk.StatusClosed}, {cancelled, streetdesk.StatusClosed}} {
		got := other.order("GY-" + c.o.ID)
		if got.Status != c.want || got.Category != c.o.Category || !got.DispatchedAt.Equal(c.o.DispatchedAt) ||
			!got.Deadlines.ResolveBy.Equal(c.o.Deadlines.ResolveBy) || got.Location.Lat != c.o.Location.Lat ||
			got.Location.Lng != c.o.Location.Lng || got.Location.Address != c.o.Location.Address || got.Title != c.o.Title {
			t.Errorf("%s read back as %+v", c.o.ID, got)
		}
	}
}

// TestImportOpen311Bad: records that cannot be mapped are each reported
// with their line; a bad mapping file names its line.
func TestImportOpen311Bad(t *testing.T) {
	e := newEnv(t)
	doc := `[
{"service_request_id":"a1","status":"open","service_code":"010101","requested_datetime":"2026-11-20T10:00:00+08:00","lat":22.5,"long":114.1},
{"service_request_id":"","status":"open","service_code":"010101","requested_datetime":"2026-11-20T10:00:00+08:00"},
{"service_request_id":"a3","status":"pending","service_code":"010101","requested_datetime":"2026-11-20T10:00:00+08:00"},
{"service_request_id":"a4","status":"open","service_code":"999","service_name":"Unknown","requested_datetime":"2026-11-20T10:00:00+08:00"},
{"service_request_id":"a5","status":"open","service_code":"010101","requested_datetime":"last week"},
{"service_request_id":"a6","status":"open","service_code":"010101"},
{"service_request_id":"a7","status":"open","service_code":"010101","requested_datetime":"2026-11-20T10:00:00+08:00","lat":222,"long":114,"updated_datetime":"soon"},
{"service_request_id":["x"]},
{"service_request_id":"a1","status":"closed","service_code":"010101","requested_datetime":"2026-11-20T10:00:00+08:00"},
{"service_request_id":"` + strings.Repeat("z", 70) + `","status":"open","service_code":"010101","requested_datetime":"2026-11-20T10:00:00+08:00"}
]`
	recs, err := streetdesk.DecodeOpen311Requests(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.srv.ImportOpen311(context.Background(), recs, platform.Open311ImportOptions{TeamID: "teamA"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range res.Skipped {
		got = append(got, n.Where()+" "+n.Text)
	}
	want := []string{
		`line 3 (record 2, -) no service_request_id`,
		`line 4 (record 3, a3) status "pending" is neither open nor closed`,
		`line 5 (record 4, a4) service "999" (Unknown) has no duty-list item: map it in the --map file`,
		`line 6 (record 5, a5) requested_datetime "last week" is missing or unreadable`,
		`line 7 (record 6, a6) requested_datetime "" is missing or unreadable`,
		`line 9 (record 8, -) unreadable record: open311: want text, got ["x"]`,
		`line 10 (record 9, a1) the same request again in this document`,
		`line 11 (record 10, ` + strings.Repeat("z", 70) + `) service_request_id too long for an order id (O311-` + strings.Repeat("Z", 70) + `: at most 64 characters)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("skipped:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Join(res.Imported, ",") != "O311-A1,O311-A7" || len(res.Warnings) != 3 {
		t.Errorf("imported %v, warnings %+v", res.Imported, res.Warnings)
	}
	if _, err := e.srv.ImportOpen311(context.Background(), recs, platform.Open311ImportOptions{TeamID: "nope"}); err == nil {
		t.Error("unknown team accepted")
	}

	for _, c := range []struct{ file, want string }{
		{"", "empty file"},
		{"service,code\n", "line 1: the header must be service,l3_code"},
		{"service,l3_code\nGraffiti,020401\nWeeds,999999\n", `line 3: "999999" is not a level-3 code`},
		{"service,l3_code\nGraffiti,020401\n# c\n graffiti ,020101\n", `line 4: service "graffiti " is mapped twice`},
		{"service,l3_code\nGraffiti\n", "wrong number of fields"},
	} {
		if _, err := e.srv.LoadOpen311Map(strings.NewReader(c.file)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.file, err, c.want)
		}
	}
}
