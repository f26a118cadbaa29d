package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// AboutInfo is what the About box says about this installation; cmd fills
// it from the stamped build information.
type AboutInfo struct {
	Version, Commit, Built, GoVersion, Platform string
	DataDir                                     string // the data folder
	LogFile                                     string
	// OpenFolder shows a folder in the system's file manager.
	OpenFolder func(path string) error
}

// updatesSource is a Desk that also carries the update notice's engine
// (the app's Desk does; test and demo desks need not).
type updatesSource interface {
	Updates() streetdesk.Updates
}

// aboutView is the About box and the quiet update notice in the sync bar:
// "新版本 x.y.z 可用" appears only when the platform publishes a newer
// version; tapping it (or "About") opens the box, where the package is
// downloaded and verified on request. Nothing is installed from here.
type aboutView struct {
	u       *UI
	ups     streetdesk.Updates // nil: no update checks
	notice  *widget.Button     // in the sync bar
	button  *widget.Button     // "About" in the sync bar
	pop     *widget.PopUp
	update  *widget.Label // the update section's sentence
	bar     *widget.ProgressBar
	fetch   *widget.Button // download and verify
	reveal  *widget.Button // open the folder of the verified package
	openDir *widget.Button // open the data folder
	close   *widget.Button
}

func newAboutView(u *UI, d streetdesk.Desk) *aboutView {
	a := &aboutView{u: u}
	if src, ok := d.(updatesSource); ok {
		a.ups = src.Updates()
	}
	a.notice = &widget.Button{Importance: widget.LowImportance, Icon: theme.DownloadIcon(), OnTapped: a.show}
	a.notice.Hide()
	a.button = &widget.Button{Text: tr("about.button", "About"), Importance: widget.LowImportance, OnTapped: a.show}
	a.refresh()
	return a
}

// watch follows the updater until stop closes or the UI closes.
func (a *aboutView) watch(stop <-chan struct{}) {
	if a.ups == nil {
		return
	}
	ch := a.ups.Notify()
	a.u.bg.Add(1)
	go func() {
		defer a.u.bg.Done()
		for {
			select {
			case <-stop:
				return
			case <-a.u.ctx.Done():
				return
			case <-ch:
			}
			ch = a.ups.Notify()
			mainDo(a.refresh)
		}
	}()
}

func (a *aboutView) status() streetdesk.UpdateStatus {
	if a.ups == nil {
		return streetdesk.UpdateStatus{}
	}
	return a.ups.Status()
}

// refresh shows the updater's status in the notice and, when open, the box.
func (a *aboutView) refresh() {
	st := a.status()
	if st.Available && st.Latest != nil {
		a.notice.SetText(tr("update.notice", "New version {{.V}} available", map[string]string{"V": st.Latest.Version}))
		a.notice.Show()
	} else {
		a.notice.Hide()
	}
	if a.pop == nil {
		return
	}
	a.update.SetText(updateText(st))
	a.bar.Hide()
	a.fetch.Hide()
	a.reveal.Hide()
	switch {
	case st.Downloading && st.Latest != nil:
		a.bar.Max = float64(st.Latest.Size)
		a.bar.SetValue(float64(st.Downloaded))
		a.bar.Show()
	case st.Ready != "":
		a.reveal.Show()
	case st.Available:
		a.fetch.Show()
	}
}

// updateText is the update section's sentence.
func updateText(st streetdesk.UpdateStatus) string {
	switch {
	case st.CheckedAt.IsZero() && st.Error == "":
		return tr("update.unknown", "Not checked for updates yet (the desk asks the platform after sign-in and once a day).")
	case st.Downloading && st.Latest != nil:
		return tr("update.downloading", "Downloading version {{.V}}: {{.Done}} of {{.Size}}…",
			map[string]string{"V": st.Latest.Version, "Done": formatBytes(st.Downloaded), "Size": formatBytes(st.Latest.Size)})
	case st.Ready != "":
		return tr("update.ready", "Version {{.V}} is downloaded and its SHA-256 checked: {{.Path}}. Close StreetDesk and install it (your data stays).",
			map[string]string{"V": st.Latest.Version, "Path": st.Ready})
	case st.Error != "":
		return tr("update.failed", "Could not check or download the update: {{.E}}", map[string]string{"E": st.Error})
	case st.Available:
		return tr("update.available", "New version {{.V}} available ({{.Size}}; this is {{.Cur}}).",
			map[string]string{"V": st.Latest.Version, "Size": formatBytes(st.Latest.Size), "Cur": st.Current})
	}
	return tr("update.current", "This is the newest version (checked {{.T}}).", map[string]string{"T": st.CheckedAt.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")})
}

// show opens the About box.
func (a *aboutView) show() {
	info := a.u.opts.About
	row := func(label, value string) []fyne.CanvasObject {
		return []fyne.CanvasObject{
			&widget.Label{Text: label, TextStyle: fyne.TextStyle{Bold: true}},
			&widget.Label{Text: value},
		}
	}
	var rows []fyne.CanvasObject
	for _, r := range [][2]string{
		{tr("about.version", "Version"), info.Version},
		{tr("about.commit", "Commit"), info.Commit},
		{tr("about.built", "Built"), info.Built},
		{tr("about.go", "Go"), info.GoVersion},
		{tr("about.platform", "Platform"), info.Platform},
		{tr("about.dataDir", "Data folder"), info.DataDir},
		{tr("about.logFile", "Log file"), info.LogFile},
	} {
		rows = append(rows, row(r[0], r[1])...)
	}
	a.openDir = &widget.Button{Text: tr("about.openDataDir", "Open data folder"), Icon: theme.FolderOpenIcon(), OnTapped: func() { a.open(info.DataDir) }}
	if info.OpenFolder == nil || info.DataDir == "" {
		a.openDir.Hide()
	}
	a.update = &widget.Label{Wrapping: fyne.TextWrapWord}
	a.bar = &widget.ProgressBar{}
	a.fetch = &widget.Button{Text: tr("update.download", "Download and verify"), Icon: theme.DownloadIcon(), Importance: widget.HighImportance, OnTapped: a.onDownload}
	a.reveal = &widget.Button{Text: tr("update.showFile", "Show the downloaded file"), Icon: theme.FolderOpenIcon(), OnTapped: func() {
		if st := a.status(); st.Ready != "" {
			a.open(parentDir(st.Ready))
		}
	}}
	a.close = &widget.Button{Text: tr("about.close", "Close"), OnTapped: a.hide}
	title := &widget.Label{Text: tr("about.title", "About StreetDesk"), TextStyle: fyne.TextStyle{Bold: true}}
	content := container.NewVBox(
		title,
		container.New(layout.NewFormLayout(), rows...),
		container.NewHBox(a.openDir),
		widget.NewSeparator(),
		&widget.Label{Text: tr("update.title", "Updates"), TextStyle: fyne.TextStyle{Bold: true}},
		a.update, a.bar, container.NewHBox(a.fetch, a.reveal),
		widget.NewSeparator(),
		container.NewHBox(a.close),
	)
	a.pop = widget.NewModalPopUp(content, a.u.w.Canvas())
	a.pop.Resize(fyne.NewSize(560, 0))
	a.refresh()
	a.pop.Show()
}

func (a *aboutView) hide() {
	if a.pop != nil {
		a.pop.Hide()
		a.pop = nil
	}
}

func (a *aboutView) onDownload() {
	if a.ups != nil {
		a.ups.Download()
	}
}

func (a *aboutView) open(path string) {
	if err := a.u.opts.About.OpenFolder(path); err != nil {
		a.u.showError(fmt.Errorf("open %s: %w", path, err))
	}
}

// parentDir is the folder of a file path of either OS's form.
func parentDir(p string) string {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '/' || p[i] == '\\' {
			return p[:i]
		}
	}
	return p
}
