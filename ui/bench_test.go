package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
)

// BenchmarkQueue10k builds the main window on 10,000 orders and scrolls the
// queue from top to bottom a screen at a time, rendering each screen.
func BenchmarkQueue10k(b *testing.B) {
	for _, k := range []string{"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"} {
		b.Setenv(k, b.TempDir())
	}
	b.Setenv("LANG", zhLocale)
	b.Setenv("LC_ALL", zhLocale)
	a := test.NewTempApp(b)
	a.Settings().SetTheme(ui.Theme())
	if err := ui.LoadTranslations(); err != nil {
		b.Fatal(err)
	}
	d := fakedesk.New(fakedesk.Options{Orders: 10_000})
	now := func() time.Time { return fakedesk.DefaultNow }
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			w := test.NewWindow(widget.NewLabel(""))
			w.Resize(fyne.NewSize(windowW, windowH))
			u := ui.New(w, ui.Options{Desk: d, Now: now, Notify: func(string, string) {}})
			u.Close()
			w.Close()
			ui.DrainMain()
		}
	})
	b.Run("scroll", func(b *testing.B) {
		w := test.NewWindow(widget.NewLabel(""))
		defer w.Close()
		w.Resize(fyne.NewSize(windowW, windowH))
		u := ui.New(w, ui.Options{Desk: d, Now: now, Notify: func(string, string) {}})
		defer u.Close()
		list := u.Queue().List
		total := u.QueueTotal()
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(list).AddXY(list.Size().Width/2, list.Size().Height/2)
		rowH := list.Size().Height / 12
		steps := 0
		for b.Loop() {
			// wheel-scroll a screen at a time through all 10,000 rows
			for i := 0; i < total; i += 12 {
				test.Scroll(w.Canvas(), pos, 0, -12*rowH)
				steps++
			}
			list.ScrollToTop()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(steps, 1)), "ns/screen")
		b.ReportMetric(float64(u.QueuePagesLoaded()), "pages-cached")
	})
}

// BenchmarkSearchAsYouType measures one keystroke's search on 10,000
// orders (debounce off): filter, count, first page, list refresh.
func BenchmarkSearchAsYouType(b *testing.B) {
	for _, k := range []string{"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"} {
		b.Setenv(k, b.TempDir())
	}
	b.Setenv("LANG", zhLocale)
	b.Setenv("LC_ALL", zhLocale)
	a := test.NewTempApp(b)
	a.Settings().SetTheme(ui.Theme())
	if err := ui.LoadTranslations(); err != nil {
		b.Fatal(err)
	}
	d := fakedesk.New(fakedesk.Options{Orders: 10_000})
	w := test.NewWindow(widget.NewLabel(""))
	defer w.Close()
	w.Resize(fyne.NewSize(windowW, windowH))
	u := ui.New(w, ui.Options{Desk: d, Now: func() time.Time { return fakedesk.DefaultNow }, Notify: func(string, string) {}})
	defer u.Close()
	search := u.Queue().Search
	words := []string{"垃", "垃圾", "噪", "噪声", "路", "路面"}
	i := 0
	for b.Loop() {
		search.SetText(words[i%len(words)])
		i++
	}
}
