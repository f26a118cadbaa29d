package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// syncBar is always visible at the top: who, where, online state, last
// sync, pending changes, uploads, errors, and "Sync now".
type syncBar struct {
	desk          streetdesk.Desk
	now           func() time.Time
	who           *widget.Label
	state         *canvas.Text // ● 在线 / 离线 / 正在同步…
	pending       *widget.Label
	lastSyncLabel *widget.Label
	message       *widget.Label // plain words: what went wrong and what happens next
	uploads       *fyne.Container
	syncNow       *widget.Button
	content       *fyne.Container
	right         *fyne.Container // the row's right end (the window adds "sign out")
	relayout      func()          // lays the window out again when the bar's height changes
	height        float32
	// lastSync is the latest successful sync the bar knows of: the engine
	// reports none until its first cycle ends (and a new engine after
	// sign-in starts with none), while the store remembers the last one.
	lastSync time.Time
}

func newSyncBar(d streetdesk.Desk, now func() time.Time, onSyncNow func()) *syncBar {
	b := &syncBar{desk: d, now: now}
	me := d.Me()
	who := "StreetDesk"
	for _, s := range []string{me.StreetOffice, me.TeamName, me.Name} {
		if s != "" {
			who += " · " + s
		}
	}
	b.who = &widget.Label{Text: who, TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	b.state = &canvas.Text{TextSize: theme.TextSize()}
	b.pending = &widget.Label{}
	b.lastSyncLabel = &widget.Label{}
	b.message = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	b.uploads = container.NewVBox()
	if c, err := d.Counts(context.Background()); err == nil {
		b.lastSync = c.LastSync
	}
	b.syncNow = &widget.Button{Text: tr("sync.now", "Sync now"), Icon: theme.ViewRefreshIcon(), OnTapped: onSyncNow}
	if d.Sync() == nil {
		b.syncNow.Hide()
	}
	right := container.NewHBox(container.NewCenter(b.state), b.pending, b.lastSyncLabel, b.syncNow)
	b.right = right
	// Who is signed in gives way (ends in "…") to the sync state, which
	// must stay whole; nothing here may widen the window.
	b.content = container.NewVBox(container.NewBorder(nil, nil, nil, right, b.who), b.message, b.uploads)
	b.update()
	return b
}

// maxActivityWidth bounds what a sync is doing ("sending 3/12", a photo's
// file name) in the state text.
const maxActivityWidth = 160

// update reads the engine's status (and the local counts when there is no
// engine) and shows it.
func (b *syncBar) update() {
	var st streetdesk.SyncStatus
	if s := b.desk.Sync(); s != nil {
		st = s.Status()
	} else {
		st.State = streetdesk.SyncOffline
		if c, err := b.desk.Counts(context.Background()); err == nil {
			st.Pending, st.LastSync = c.Pending, c.LastSync
		}
	}
	text, col := tr("sync.online", "● Online"), theme.ColorNameSuccess
	switch st.State {
	case streetdesk.SyncSyncing:
		text, col = tr("sync.syncing", "● Syncing…"), theme.ColorNamePrimary
		if a := words().Say(st.Activity); a != "" {
			text += " " + ellipsize(a, b.state.TextSize, b.state.TextStyle, maxActivityWidth)
		}
	case streetdesk.SyncOffline:
		text, col = tr("sync.offline", "● Offline"), colorAmber
	case streetdesk.SyncPausedAuth:
		text, col = tr("sync.pausedAuth", "● Sign in again to sync"), theme.ColorNameWarning
	case streetdesk.SyncError:
		text, col = tr("sync.error", "● Sync paused"), theme.ColorNameError
	}
	b.state.Text, b.state.Color = text, themeColor(col)
	b.state.Refresh()
	if st.Pending > 0 {
		b.pending.SetText(tr("sync.pending", "{{.N}} changes saved on this computer, not yet sent", map[string]int{"N": st.Pending}))
	} else {
		b.pending.SetText(tr("sync.allSent", "✓ Everything sent to the platform"))
	}
	if st.LastSync.After(b.lastSync) {
		b.lastSync = st.LastSync
	}
	if b.lastSync.IsZero() {
		b.lastSyncLabel.SetText(tr("sync.never", "Not synced yet"))
	} else {
		b.lastSyncLabel.SetText(tr("sync.last", "Last sync {{.T}}", map[string]string{"T": formatWhen(b.lastSync, b.now())}))
	}
	msg := words().SyncSentence(st, b.now())
	b.message.SetText(msg)
	if msg == "" {
		b.message.Hide()
	} else {
		b.message.Show()
	}
	b.uploads.RemoveAll()
	const shown = 3 // a few bars; the rest as a count
	for i, up := range st.Uploads {
		if i == shown {
			b.uploads.Add(&widget.Label{Text: tr("sync.moreUploads", "and {{.N}} more photos waiting", map[string]int{"N": len(st.Uploads) - shown})})
			break
		}
		bar := &widget.ProgressBar{Min: 0, Max: 1}
		if up.Total > 0 {
			bar.Value = float64(up.Sent) / float64(up.Total)
		}
		txt := tr("sync.upload", "Photo {{.Sent}} / {{.Total}}", map[string]string{"Sent": formatBytes(up.Sent), "Total": formatBytes(up.Total)})
		if up.BytesPerSec > 0 {
			txt += " · " + formatBytes(int64(up.BytesPerSec)) + "/s"
		}
		b.uploads.Add(container.NewGridWithColumns(2, &widget.Label{Text: txt, Truncation: fyne.TextTruncateEllipsis}, bar))
	}
	// Texts changed width and rows appeared or went: lay the bar out again,
	// and the window too when the bar's height changed.
	if h := b.content.MinSize().Height; h != b.height {
		b.height = h
		if b.relayout != nil {
			b.relayout()
			return
		}
	}
	b.content.Refresh()
}

// formatWhen shows a time as 15:04 today, 03-11 15:04 otherwise.
func formatWhen(t, now time.Time) string {
	t, now = t.In(streetdesk.ChinaTZ), now.In(streetdesk.ChinaTZ)
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04")
	}
	return t.Format("01-02 15:04")
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
