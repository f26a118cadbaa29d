package streetdesk_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// TestDecodeOpen311Captures reads the real captures with the one reader the
// importer and the platform's own tests use, and checks what each city's
// quirks become.
func TestDecodeOpen311Captures(t *testing.T) {
	pacific := time.FixedZone("PDT", -7*3600)
	for _, c := range []struct {
		file            string
		n, closed, open int
		coords          int // records with a non-zero place
		firstLine       int
	}{
		{"san_francisco_requests_2012-05-22.xml", 56, 4, 52, 47, 2},
		{"bloomington_IN_requests_2012-05-23.json", 21, 3, 18, 13, 1},
		{"chicago_requests_2014-07-12.json", 2, 0, 2, 2, 2},
		{"toronto_requests_2018-07-30.xml", 2, 0, 2, 2, 3},
	} {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "open311", c.file))
			if err != nil {
				t.Fatal(err)
			}
			recs, err := streetdesk.DecodeOpen311Requests(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			var closed, open, coords int
			for i, r := range recs {
				if r.Err != nil || r.Index != i+1 || r.Line < 1 || r.ServiceRequestID == "" || r.ServiceName == "" {
					t.Errorf("record %d: %+v", i+1, r)
				}
				switch cl, known := streetdesk.Open311Closed(r.Status); {
				case !known:
					t.Errorf("record %d: status %q", i+1, r.Status)
				case cl:
					closed++
				default:
					open++
				}
				if r.Lat.Valid && r.Long.Valid && r.Lat.Value != 0 {
					coords++
				}
				at, err := streetdesk.ParseOpen311Time(r.RequestedDatetime, pacific)
				if err != nil || at.Year() < 2012 || at.Year() > 2018 {
					t.Errorf("record %d: requested %q → %v, %v", i+1, r.RequestedDatetime, at, err)
				}
			}
			if len(recs) != c.n || closed != c.closed || open != c.open || coords != c.coords || recs[0].Line != c.firstLine {
				t.Errorf("%d records (%d closed, %d open, %d placed, first on line %d), want %d (%d, %d, %d, %d)",
					len(recs), closed, open, coords, recs[0].Line, c.n, c.closed, c.open, c.coords, c.firstLine)
			}
		})
	}
}

func TestDecodeOpen311Services(t *testing.T) {
	for file, n := range map[string]int{"bloomington_IN_services.json": 46, "san_francisco_services.xml": 38, "giessen_DE_services.xml": 8} {
		b, err := os.ReadFile(filepath.Join("testdata", "open311", file))
		if err != nil {
			t.Fatal(err)
		}
		ss, err := streetdesk.DecodeOpen311Services(bytes.NewReader(b))
		if err != nil || len(ss) != n {
			t.Fatalf("%s: %d services, %v; want %d", file, len(ss), err, n)
		}
		for _, s := range ss {
			if s.ServiceCode == "" || s.ServiceName == "" {
				t.Errorf("%s: %+v", file, s)
			}
		}
	}
}

func TestParseOpen311Time(t *testing.T) {
	sh := streetdesk.ChinaTZ
	for _, c := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{"2012-05-23T15:55:28-04:00", time.Date(2012, 5, 23, 19, 55, 28, 0, time.UTC), false},
		{"2026-11-23T09:00:00+08:00", time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC), false},
		{"2014-07-12T10:01:02Z", time.Date(2014, 7, 12, 10, 1, 2, 0, time.UTC), false},
		{"2012-05-22 23:57:23.97", time.Date(2012, 5, 22, 23, 57, 23, 970e6, sh), false},
		{"2012-05-31 08:30:00.0", time.Date(2012, 5, 31, 8, 30, 0, 0, sh), false},
		{"  ", time.Time{}, false},
		{"yesterday", time.Time{}, true},
		{"2012-13-01T00:00:00Z", time.Time{}, true},
	} {
		got, err := streetdesk.ParseOpen311Time(c.in, sh)
		if (err != nil) != c.bad || !got.Equal(c.want) {
			t.Errorf("%q → %v, %v; want %v (bad %v)", c.in, got, err, c.want, c.bad)
		}
	}
}

// TestDecodeOpen311Bad: broken documents name the line; a record of the
// wrong shape is kept with its error; an error answer is an error.
func TestDecodeOpen311Bad(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"truncated JSON", "[\n{\"service_request_id\":\"1\"},\n{\"status\":", "line 3"},
		{"truncated XML", "<service_requests>\n<request><status>open</status>\n<lat>1", "line 3"},
		{"not a document", "hello", "neither"},
		{"JSON error answer", `[{"code":403,"description":"Invalid api_key"}]`, "403 Invalid api_key"},
		{"XML error answer", `<?xml version="1.0"?><errors><error><code>404</code><description>no such service</description></error></errors>`, "404 no such service"},
	} {
		_, err := streetdesk.DecodeOpen311Requests(strings.NewReader(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	recs, err := streetdesk.DecodeOpen311Requests(strings.NewReader("[\n{\"service_request_id\":\"1\",\"lat\":null},\n{\"service_request_id\":{}}\n]"))
	if err != nil || len(recs) != 2 || recs[0].Err != nil || recs[0].Lat.Valid || recs[1].Err == nil || recs[1].Line != 3 {
		t.Fatalf("%+v, %v", recs, err)
	}
}

// FuzzDecodeOpen311 feeds the reader arbitrary documents: it never panics,
// and every record it returns says where it stands.
func FuzzDecodeOpen311(f *testing.F) {
	for _, file := range []string{"chicago_requests_2014-07-12.json", "toronto_requests_2018-07-30.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", "open311", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"service_request_id":12,"lat":"1.5","long":null,"zipcode":0}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := streetdesk.DecodeOpen311Requests(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.Index < 1 || r.Line < 1 {
				t.Fatalf("record without a place: %+v", r)
			}
		}
	})
}
