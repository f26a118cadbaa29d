package ui

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// photoPicker chooses photos on this computer: a big dialog that opens in
// the folder used last, lists only folders and pictures, takes several
// pictures at once, and refuses what cannot be attached (HEIC) when it is
// picked, with the reason — not later, when the photos are saved. Keys: ↑/↓
// move, Space ticks, Enter opens a folder or adds, Backspace goes up, Esc
// cancels.
type photoPicker struct {
	w       fyne.Window
	pop     *widget.PopUp
	dir     string
	entries []pickEntry
	cursor  int
	chosen  []string // paths, in the order ticked
	onDone  func(paths []string)

	where   *widget.Label
	up      *widget.Button
	places  *fyne.Container
	list    *pickerList
	preview *canvas.Image
	info    *widget.Label // the entry under the cursor, or why it cannot be taken
	count   *widget.Label // 已选 3 张
	add     *widget.Button
	cancel  *widget.Button
	gen     int // preview loads; an older one is dropped
}

// pickEntry is a folder or a picture of the current folder.
type pickEntry struct {
	name    string
	path    string
	dir     bool
	size    int64
	mod     time.Time
	refused string // why it cannot be attached ("" when it can)
}

// photoFolderKey is the preference that remembers the last folder used.
const photoFolderKey = "photos.lastFolder"

// Picture extensions the picker lists; HEIC/HEIF are listed to say why
// they cannot be taken.
var (
	pictureExts = []string{".jpg", ".jpeg", ".png"}
	heicExts    = []string{".heic", ".heif"}
)

// heicRefusal is why an HEIC photo cannot be attached, in the user's words
// (the same message the photo import gives).
func heicRefusal() string {
	return words().Say(streetdesk.Msg(streetdesk.MsgErrPhotoHEIC))
}

// isHEIC reports whether path names an HEIC/HEIF file.
func isHEIC(path string) bool { return slices.Contains(heicExts, strings.ToLower(filepath.Ext(path))) }

// showPhotoPicker opens the picker in the folder used last; onDone gets
// the chosen paths (never called on cancel).
func showPhotoPicker(w fyne.Window, onDone func([]string)) *photoPicker {
	return openPhotoPicker(w, startFolder(), onDone)
}

func openPhotoPicker(w fyne.Window, dir string, onDone func([]string)) *photoPicker {
	p := &photoPicker{w: w, onDone: onDone}
	p.where = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	p.up = &widget.Button{Text: tr("picker.up", "Up"), Icon: theme.MoveUpIcon(), OnTapped: p.goUp}
	p.places = container.NewHBox()
	for _, pl := range photoPlaces() {
		p.places.Add(&widget.Button{Text: pl[0], Importance: widget.LowImportance, OnTapped: func() { p.open(pl[1]) }})
	}
	p.list = newPickerList(p)
	p.preview = &canvas.Image{FillMode: canvas.ImageFillContain}
	p.preview.SetMinSize(fyne.NewSize(220, 165))
	p.info = &widget.Label{Wrapping: fyne.TextWrapWord}
	p.count = &widget.Label{}
	p.cancel = &widget.Button{Text: tr("button.cancel", "Cancel"), OnTapped: p.close}
	p.add = &widget.Button{Text: tr("picker.add", "Add"), Importance: widget.HighImportance, OnTapped: p.done}
	head := container.NewVBox(
		&widget.Label{Text: tr("picker.title", "Choose photos"), TextStyle: fyne.TextStyle{Bold: true}},
		container.NewBorder(nil, nil, p.up, nil, p.where),
		p.places,
	)
	side := container.NewVBox(p.preview, p.info)
	foot := container.NewBorder(nil, nil, p.count, container.NewHBox(p.cancel, p.add),
		&widget.Label{Text: tr("picker.hint", "Pictures only (JPEG, PNG). Tick several with a click or Space."), Importance: widget.LowImportance,
			Truncation: fyne.TextTruncateEllipsis})
	body := container.NewBorder(head, foot, nil, container.NewGridWrap(fyne.NewSize(230, 300), side), p.list)
	p.pop = widget.NewModalPopUp(body, w.Canvas())
	size := w.Canvas().Size()
	p.pop.Resize(fyne.NewSize(max(size.Width*0.85, 600), max(size.Height*0.85, 420)))
	p.open(dir)
	p.pop.Show()
	w.Canvas().Focus(p.list)
	return p
}

// photoPlaces are the usual places with pictures that exist here: home,
// desktop, pictures, downloads.
func photoPlaces() [][2]string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	var out [][2]string
	for _, pl := range [][2]string{
		{tr("picker.home", "Home"), home},
		{tr("picker.desktop", "Desktop"), filepath.Join(home, "Desktop")},
		{tr("picker.pictures", "Pictures"), filepath.Join(home, "Pictures")},
		{tr("picker.downloads", "Downloads"), filepath.Join(home, "Downloads")},
	} {
		if fi, err := os.Stat(pl[1]); err == nil && fi.IsDir() {
			out = append(out, pl)
		}
	}
	return out
}

// startFolder is the folder used last, else Pictures, else home.
func startFolder() string {
	if a := fyne.CurrentApp(); a != nil {
		if d := a.Preferences().String(photoFolderKey); d != "" {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				return d
			}
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return string(filepath.Separator)
	}
	if fi, err := os.Stat(filepath.Join(home, "Pictures")); err == nil && fi.IsDir() {
		return filepath.Join(home, "Pictures")
	}
	return home
}

// open lists dir: folders first, then pictures, each by name; other files
// and hidden ones are left out.
func (p *photoPicker) open(dir string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		p.info.SetText(tr("picker.cannotOpen", "Cannot open this folder: {{.Err}}", map[string]string{"Err": err.Error()}))
		return
	}
	p.dir = dir
	p.entries = p.entries[:0]
	var files []pickEntry
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		if de.IsDir() {
			p.entries = append(p.entries, pickEntry{name: name, path: path, dir: true})
			continue
		}
		ext := strings.ToLower(filepath.Ext(name))
		heic := slices.Contains(heicExts, ext)
		if !heic && !slices.Contains(pictureExts, ext) {
			continue
		}
		e := pickEntry{name: name, path: path}
		if fi, err := de.Info(); err == nil {
			e.size, e.mod = fi.Size(), fi.ModTime()
		}
		if heic {
			e.refused = heicRefusal()
		}
		files = append(files, e)
	}
	p.entries = append(p.entries, files...)
	p.where.SetText(dir)
	if filepath.Dir(dir) == dir {
		p.up.Disable()
	} else {
		p.up.Enable()
	}
	p.cursor = 0
	p.list.Refresh()
	p.list.ScrollToTop()
	p.showCursor()
}

func (p *photoPicker) goUp() {
	if parent := filepath.Dir(p.dir); parent != p.dir {
		p.open(parent)
	}
}

func (p *photoPicker) isChosen(path string) bool { return slices.Contains(p.chosen, path) }

// toggle ticks or unticks entry i; a folder opens, a refused file says why.
func (p *photoPicker) toggle(i int) {
	if i < 0 || i >= len(p.entries) {
		return
	}
	p.cursor = i
	e := p.entries[i]
	switch {
	case e.dir:
		p.open(e.path)
		return
	case e.refused != "":
		// showCursor says why.
	case p.isChosen(e.path):
		p.chosen = slices.DeleteFunc(p.chosen, func(s string) bool { return s == e.path })
	default:
		p.chosen = append(p.chosen, e.path)
	}
	p.list.RefreshItem(i)
	p.showCursor()
}

// showCursor shows the entry under the cursor: its picture, size and date,
// or why it cannot be taken; and how many are chosen.
func (p *photoPicker) showCursor() {
	n := len(p.chosen)
	p.count.SetText(tr("picker.count", "{{.N}} chosen", map[string]int{"N": n}))
	if n == 0 {
		p.add.Disable()
	} else {
		p.add.Enable()
	}
	p.list.Refresh() // the cursor's row is highlighted
	p.gen++
	p.preview.Image = nil
	p.preview.Refresh()
	if p.cursor >= len(p.entries) {
		p.info.SetText(tr("picker.empty", "No folders or pictures here."))
		return
	}
	e := p.entries[p.cursor]
	switch {
	case e.dir:
		p.info.SetText(e.name)
	case e.refused != "":
		p.info.Importance = widget.DangerImportance
		p.info.SetText(e.name + "\n" + e.refused)
		return
	default:
		p.info.SetText(fmt.Sprintf("%s\n%s · %s", e.name, formatBytes(e.size), e.mod.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")))
		p.loadPreview(e.path)
	}
	p.info.Importance = widget.MediumImportance
	p.info.Refresh()
}

// loadPreview decodes a small picture off the main goroutine; a newer
// cursor move wins.
func (p *photoPicker) loadPreview(path string) {
	gen := p.gen
	go func() {
		img, err := loadImage(path, 440)
		if err != nil {
			return
		}
		mainDo(func() {
			if gen != p.gen {
				return
			}
			p.preview.Image = img
			p.preview.Refresh()
		})
	}()
}

// move puts the cursor delta rows further.
func (p *photoPicker) move(delta int) {
	if len(p.entries) == 0 {
		return
	}
	p.cursor = min(max(p.cursor+delta, 0), len(p.entries)-1)
	p.list.ScrollTo(p.cursor)
	p.showCursor()
}

// onEnter opens a folder; on a picture it adds what is chosen (the picture
// itself when nothing is).
func (p *photoPicker) onEnter() {
	if p.cursor < len(p.entries) {
		e := p.entries[p.cursor]
		if e.dir {
			p.open(e.path)
			return
		}
		if len(p.chosen) == 0 && e.refused == "" {
			p.chosen = append(p.chosen, e.path)
		}
	}
	p.done()
}

func (p *photoPicker) done() {
	if len(p.chosen) == 0 {
		return
	}
	if a := fyne.CurrentApp(); a != nil {
		a.Preferences().SetString(photoFolderKey, p.dir)
	}
	p.close()
	p.onDone(slices.Clone(p.chosen))
}

func (p *photoPicker) close() {
	p.gen++
	p.pop.Hide()
}

// pickerList is the picker's list with its keys.
type pickerList struct {
	widget.List
	p *photoPicker
}

func newPickerList(p *photoPicker) *pickerList {
	l := &pickerList{p: p}
	l.Length = func() int { return len(p.entries) }
	l.CreateItem = func() fyne.CanvasObject { return newPickerRow() }
	l.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		if i >= len(p.entries) {
			return
		}
		e := p.entries[i]
		r := o.(*pickerRow)
		r.check.OnChanged = nil
		r.set(e, p.isChosen(e.path), i == p.cursor)
		r.check.OnChanged = func(on bool) {
			if on != p.isChosen(e.path) {
				p.toggle(i)
			}
		}
	}
	// A click on a row: a folder opens, a picture is ticked or unticked.
	l.OnSelected = func(i widget.ListItemID) {
		l.UnselectAll()
		p.toggle(i)
	}
	l.ExtendBaseWidget(l)
	return l
}

func (l *pickerList) TypedKey(ev *fyne.KeyEvent) {
	p := l.p
	switch ev.Name {
	case fyne.KeyUp:
		p.move(-1)
	case fyne.KeyDown:
		p.move(1)
	case fyne.KeyPageUp:
		p.move(-10)
	case fyne.KeyPageDown:
		p.move(10)
	case fyne.KeyHome:
		p.move(-1 << 30)
	case fyne.KeyEnd:
		p.move(1 << 30)
	case fyne.KeySpace:
		if p.cursor < len(p.entries) && !p.entries[p.cursor].dir {
			p.toggle(p.cursor)
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		p.onEnter()
	case fyne.KeyBackspace:
		p.goUp()
	case fyne.KeyEscape:
		p.close()
	}
}

// The cursor's row is highlighted; Fyne's own focus ring would be a
// second, different row.
func (l *pickerList) FocusGained() {}
func (l *pickerList) FocusLost()   {}

// pickerRow is one entry: a tick (pictures), a folder or picture icon, the
// name, and size and date on the right.
type pickerRow struct {
	widget.BaseWidget
	bg    *canvas.Rectangle // the keyboard cursor
	check *widget.Check
	icon  *widget.Icon
	name  *widget.Label
	meta  *widget.Label
}

func newPickerRow() *pickerRow {
	r := &pickerRow{bg: &canvas.Rectangle{CornerRadius: 4}, check: &widget.Check{}, icon: widget.NewIcon(nil),
		name: &widget.Label{Truncation: fyne.TextTruncateEllipsis}, meta: &widget.Label{}}
	r.ExtendBaseWidget(r)
	return r
}

func (r *pickerRow) set(e pickEntry, chosen, cursor bool) {
	r.bg.FillColor = color.Transparent
	if cursor {
		r.bg.FillColor = themeColor(theme.ColorNameSelection)
	}
	r.bg.Refresh()
	r.check.Checked = chosen
	r.check.Hidden = e.dir
	if e.refused != "" { // kept in its column, but it cannot be ticked
		r.check.Disable()
	} else {
		r.check.Enable()
	}
	switch {
	case e.dir:
		r.icon.SetResource(theme.FolderIcon())
		r.meta.SetText("")
	case e.refused != "":
		r.icon.SetResource(theme.ErrorIcon())
		r.meta.SetText(tr("picker.heic", "HEIC: not supported"))
	default:
		r.icon.SetResource(theme.FileImageIcon())
		r.meta.SetText(formatBytes(e.size) + " · " + e.mod.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04"))
	}
	r.name.SetText(e.name)
	r.check.Refresh()
}

func (r *pickerRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.bg,
		container.NewBorder(nil, nil, container.NewHBox(r.check, r.icon), r.meta, r.name)))
}
