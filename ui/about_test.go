package ui_test

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
)

func withAbout(opened *[]string) setupOpt {
	return func(o *ui.Options, _ *fakedesk.Options) {
		o.About = ui.AboutInfo{Version: "0.1.0", Commit: "0123456789ab", Built: "2026-12-04T05:00:00Z", GoVersion: "go1.26.8",
			Platform: "windows/amd64", DataDir: `C:\users\街道测试\AppData\Roaming\streetdesk`, LogFile: `C:\users\街道测试\AppData\Roaming\streetdesk\streetdesk.log`,
			OpenFolder: func(p string) error { *opened = append(*opened, p); return nil }}
	}
}

// The notice stays out of the way until the platform publishes a newer
// version; the package is downloaded only on request and offered as ready
// only once verified.
func TestUpdateNotice(t *testing.T) {
	ups := fakedesk.NewUpdates()
	var opened []string
	e := setup(t, zhLocale, withAbout(&opened), func(_ *ui.Options, f *fakedesk.Options) { f.Updates = ups })
	a := e.u.About()
	if a.Notice.Visible() || a.Open {
		t.Fatalf("notice before any check: visible %v, box open %v", a.Notice.Visible(), a.Open)
	}
	checked := fakedesk.DefaultNow.Add(-time.Hour)
	rel := &streetdesk.ClientRelease{Version: "0.2.0", OS: "windows", Arch: "amd64", Format: "zip",
		File: "StreetDesk-0.2.0-windows-amd64.zip", Size: 24 << 20, SHA256: strings.Repeat("ab", 32)}
	ups.Set(streetdesk.UpdateStatus{Current: "0.1.0", Latest: rel, CheckedAt: checked})
	ui.RunMain(t)
	if a = e.u.About(); a.Notice.Visible() {
		t.Error("notice for a version that is not newer")
	}
	ups.Set(streetdesk.UpdateStatus{Current: "0.1.0", Latest: rel, Available: true, CheckedAt: checked})
	ui.RunMain(t)
	a = e.u.About()
	if !a.Notice.Visible() || a.Notice.Text != "新版本 0.2.0 可用" {
		t.Fatalf("notice: visible %v %q", a.Notice.Visible(), a.Notice.Text)
	}
	test.Tap(a.Notice)
	a = e.u.About()
	if !a.Open || a.Update.Text != "新版本 0.2.0 可用（24.0 MB；当前为 0.1.0）。" || !a.Fetch.Visible() || a.Reveal.Visible() || a.Bar.Visible() {
		t.Fatalf("box: open %v %q fetch %v reveal %v bar %v", a.Open, a.Update.Text, a.Fetch.Visible(), a.Reveal.Visible(), a.Bar.Visible())
	}
	test.Tap(a.Fetch)
	if ups.Downloads() != 1 {
		t.Fatalf("downloads asked: %d", ups.Downloads())
	}
	ups.Set(streetdesk.UpdateStatus{Current: "0.1.0", Latest: rel, Available: true, CheckedAt: checked, Downloading: true, Downloaded: 6 << 20})
	ui.RunMain(t)
	a = e.u.About()
	if !a.Bar.Visible() || a.Bar.Value != 6<<20 || a.Fetch.Visible() || a.Update.Text != "正在下载 0.2.0：6.0 MB / 24.0 MB…" {
		t.Errorf("downloading: bar %v %v fetch %v %q", a.Bar.Visible(), a.Bar.Value, a.Fetch.Visible(), a.Update.Text)
	}
	ready := `C:\users\街道测试\AppData\Roaming\streetdesk\updates\StreetDesk-0.2.0-windows-amd64.zip`
	ups.Set(streetdesk.UpdateStatus{Current: "0.1.0", Latest: rel, Available: true, CheckedAt: checked, Ready: ready})
	ui.RunMain(t)
	a = e.u.About()
	if !a.Reveal.Visible() || a.Fetch.Visible() || a.Bar.Visible() || !strings.Contains(a.Update.Text, "SHA-256 校验通过："+ready) {
		t.Fatalf("ready: reveal %v fetch %v %q", a.Reveal.Visible(), a.Fetch.Visible(), a.Update.Text)
	}
	test.Tap(a.Reveal)
	if want := `C:\users\街道测试\AppData\Roaming\streetdesk\updates`; len(opened) != 1 || opened[0] != want {
		t.Errorf("opened %q, want %q", opened, want)
	}
	test.Tap(a.Closer)
	if e.u.About().Open {
		t.Error("box still open after Close")
	}
}

// The About box tells an IT person what to put in a problem report.
func TestAboutBox(t *testing.T) {
	var opened []string
	e := setup(t, enLocale, withAbout(&opened))
	a := e.u.About()
	if a.Notice.Visible() || a.Button.Text != "About" {
		t.Fatalf("bar: notice %v, button %q", a.Notice.Visible(), a.Button.Text)
	}
	test.Tap(a.Button)
	a = e.u.About()
	if !a.Open || a.Fetch.Visible() || a.Update.Text != "Not checked for updates yet (the desk asks the platform after sign-in and once a day)." {
		t.Fatalf("box: open %v fetch %v %q", a.Open, a.Fetch.Visible(), a.Update.Text)
	}
	texts := strings.Join(visibleTexts(e), "\n")
	for _, want := range []string{"0.1.0", "0123456789ab", "2026-12-04T05:00:00Z", "go1.26.8", "windows/amd64",
		`C:\users\街道测试\AppData\Roaming\streetdesk`, "Data folder", "Log file"} {
		if !strings.Contains(texts, want) {
			t.Errorf("About box lacks %q", want)
		}
	}
	test.Tap(a.OpenDir)
	if len(opened) != 1 || opened[0] != `C:\users\街道测试\AppData\Roaming\streetdesk` {
		t.Errorf("opened %q", opened)
	}
}

// visibleTexts are the labels of the top overlay (the open pop-up).
func visibleTexts(e *env) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(e.w.Canvas().Overlays().Top())
	return out
}
