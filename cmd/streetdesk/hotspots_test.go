package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
)

// TestHotspots_EndToEnd: the demo platform's recurring problems reach the
// lead's and the caseworker's desks and `streetdesk hotspots` finds them
// offline, from the local store; bad settings are exit status 2.
func TestHotspots_EndToEnd(t *testing.T) {
	p := startPlatformd(t)
	report := func(d *desk, args ...string) streetdesk.HotspotReport {
		t.Helper()
		var r streetdesk.HotspotReport
		if err := json.Unmarshal([]byte(d.must(append([]string{"hotspots", "--json"}, args...)...)), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	planted := func(h streetdesk.Hotspot) int {
		n := 0
		for _, o := range h.Orders {
			if strings.Contains(o.ID, "-R0") {
				n++
			}
		}
		return n
	}
	for _, tt := range []struct {
		user    string
		planted int // hotspots made of the demo's recurring problems
	}{{"lead01", 3}, {"cw01", 2}} {
		d := &desk{t: t, data: t.TempDir()}
		if _, errs, code := d.run(p.Password+"\n", "login", "--server", p.URL, "--user", tt.user, "--password-stdin"); code != 0 {
			t.Fatalf("login %s: %s", tt.user, errs)
		}
		d.must("sync", "--once")
		r := report(d)
		n := 0
		for _, h := range r.Hotspots {
			if planted(h) > 0 {
				n++
			}
			for _, o := range h.Orders {
				if tt.user == "cw01" && o.AssigneeID != "cw01" {
					t.Errorf("cw01 sees %s of %s", o.ID, o.AssigneeID)
				}
			}
		}
		if n != tt.planted || r.Input.InWindow == 0 || r.Input.Clustered+r.Input.LeftOut() != r.Input.InWindow {
			t.Errorf("%s: %d planted hotspots, want %d; input %+v", tt.user, n, tt.planted, r.Input)
		}
		// A wider distance and a shorter window are the user's to choose.
		if w := report(d, "--days", "7", "--radius", "1000"); w.RadiusM != 1000 || w.To.Sub(w.From).Hours() != 7*24 {
			t.Errorf("--days 7 --radius 1000: %v–%v %g m", w.From, w.To, w.RadiusM)
		}
		text := d.must("hotspots")
		if !strings.Contains(text, "rising") || !strings.Contains(text, "垃圾站夜间作业噪声") {
			t.Errorf("%s hotspots:\n%s", tt.user, text)
		}
		for _, bad := range []struct {
			args []string
			want string
		}{
			{[]string{"--days", "0"}, "the time window must be at least one day (got 0)"},
			{[]string{"--days", "-7"}, "the time window must be at least one day (got -7)"},
			{[]string{"--radius", "0"}, "the distance must be between 10 and 20000 metres (got 0)"},
			{[]string{"--level", "1"}, "the category level must be 2 or 3 (got 1)"},
			{[]string{"SZ1"}, "hotspots takes no arguments"},
		} {
			out, errs, code := d.run("", append([]string{"hotspots"}, bad.args...)...)
			if code != 2 || out != "" || !strings.Contains(errs, bad.want) {
				t.Errorf("hotspots %v: exit %d, %q %q", bad.args, code, out, errs)
			}
		}
	}
}
