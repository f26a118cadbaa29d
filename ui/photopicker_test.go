package ui_test

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// pickerFolder is a folder as a phone's photos land on a desktop: JPEGs, a
// PNG, an iPhone HEIC, and files that are no pictures.
func pickerFolder(t *testing.T) string {
	dir := t.TempDir()
	copyFile := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(testdata(photoCanon), "IMG_0001.jpg")
	copyFile(testdata(photoNikon), "IMG_0002.JPG")
	f, err := os.Create(filepath.Join(dir, "map.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, name := range []string{"IMG_0003.HEIC", "order.json", "台账.xlsx", ".thumbs.jpg"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "现场照片"), 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(testdata(photoKodak), filepath.Join("现场照片", "IMG_0100.jpg"))
	return dir
}

// TestPhotoPicker: only folders and pictures, several at once, HEIC refused
// when picked with the reason, Chinese labels, the keyboard, and the folder
// remembered for the next time.
func TestPhotoPicker(t *testing.T) {
	e := setup(t, zhLocale)
	dir := pickerFolder(t)
	var got []string
	view := e.u.OpenPhotoPicker(dir, func(paths []string) { got = paths })
	v := view()
	if want := []string{"现场照片", "IMG_0001.jpg", "IMG_0002.JPG", "IMG_0003.HEIC", "map.png"}; !slices.Equal(v.Entries, want) {
		t.Fatalf("entries %q, want %q (folders, then pictures; no .json, .xlsx or hidden files)", v.Entries, want)
	}
	for _, p := range v.Places {
		if strings.ContainsAny(p, "abcdefghijklmnopqrstuvwxyz") {
			t.Errorf("place %q is not in Chinese", p)
		}
	}
	if v.Add.Text != "添加" || v.Cancel.Text != "取消" || !v.Add.Disabled() {
		t.Errorf("buttons %q %q (add disabled %v)", v.Add.Text, v.Cancel.Text, v.Add.Disabled())
	}
	if e.u.Focused() != v.Keys {
		t.Fatalf("the keyboard is on %T, want the list", e.u.Focused())
	}
	key := func(k fyne.KeyName) { e.u.Focused().TypedKey(&fyne.KeyEvent{Name: k}) }
	key(fyne.KeyDown) // IMG_0001.jpg
	key(fyne.KeySpace)
	key(fyne.KeyDown) // IMG_0002.JPG
	key(fyne.KeySpace)
	key(fyne.KeyDown) // IMG_0003.HEIC: refused, with the reason
	key(fyne.KeySpace)
	v = view()
	if len(v.Chosen) != 2 || !strings.Contains(v.Info, "HEIC") || !strings.Contains(v.Info, "JPEG") || v.Count != "已选 2 张" {
		t.Errorf("after Space on two JPEGs and the HEIC: chosen %q, info %q, count %q", v.Chosen, v.Info, v.Count)
	}
	// A click ticks too: map.png in; Space again: IMG_0002 out.
	view().Click(4)
	key(fyne.KeyUp)
	key(fyne.KeyUp)
	key(fyne.KeySpace)
	if v = view(); !slices.Equal(v.Chosen, []string{filepath.Join(dir, "IMG_0001.jpg"), filepath.Join(dir, "map.png")}) {
		t.Errorf("after the click and Space: chosen %q", v.Chosen)
	}
	// Into the folder and back (Enter on a folder, Backspace).
	key(fyne.KeyHome)
	key(fyne.KeyReturn)
	if v = view(); !strings.HasSuffix(v.Dir, "现场照片") || !slices.Equal(v.Entries, []string{"IMG_0100.jpg"}) {
		t.Fatalf("Enter on the folder: in %q with %q", v.Dir, v.Entries)
	}
	key(fyne.KeyBackspace)
	if v = view(); v.Dir != dir {
		t.Fatalf("Backspace: in %q", v.Dir)
	}
	key(fyne.KeyReturn) // on the folder again: opens it
	key(fyne.KeySpace)  // IMG_0100.jpg
	test.Tap(view().Add)
	want := []string{filepath.Join(dir, "IMG_0001.jpg"), filepath.Join(dir, "map.png"), filepath.Join(dir, "现场照片", "IMG_0100.jpg")}
	if !slices.Equal(got, want) || view().Visible {
		t.Fatalf("added %q, want %q (picker open %v)", got, want, view().Visible)
	}
	// The next time it opens where the photos came from.
	again := e.u.OpenPhotoPicker("", func([]string) {})
	if d := again().Dir; d != filepath.Join(dir, "现场照片") {
		t.Errorf("reopened in %q, want the folder used last", d)
	}
	e.u.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if again().Visible {
		t.Error("Esc did not close the picker")
	}
}

// TestPhotoDialogRefusesHEIC: an HEIC dropped on the window is refused at
// once with the reason; the JPEGs beside it are taken.
func TestPhotoDialogRefusesHEIC(t *testing.T) {
	e := setup(t, zhLocale)
	dir := pickerFolder(t)
	e.selectOrder(idOverdue)
	e.u.Drop([]string{filepath.Join(dir, "IMG_0001.jpg"), filepath.Join(dir, "IMG_0003.HEIC")})
	f, _, files, _, _ := e.u.PhotoDialog()
	refused := e.u.PhotoDialogRefused()
	if !refused.Visible() || !strings.Contains(refused.Text, "IMG_0003.HEIC") || !strings.Contains(refused.Text, "不支持 HEIC") {
		t.Errorf("refused line %q (shown %v)", refused.Text, refused.Visible())
	}
	if !strings.Contains(files.Text, "已选 1 张") || strings.Contains(files.Text, "HEIC") {
		t.Errorf("files %q", files.Text)
	}
	test.Tap(f.Save)
	if n := len(e.order(idOverdue).Photos); n != 1 {
		t.Errorf("%d photos attached, want the JPEG", n)
	}
}
