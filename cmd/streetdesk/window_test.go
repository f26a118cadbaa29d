package main

import (
	"image"
	"testing"

	"fyne.io/fyne/v2"
)

func TestFitPlace(t *testing.T) {
	laptop := image.Rect(0, 0, 1366, 768)
	small := image.Rect(0, 0, 1024, 768)
	big := image.Rect(0, 0, 1920, 1080)
	second := image.Rect(1920, 0, 1920+1366, 728) // a second monitor with a task bar
	for _, tc := range []struct {
		name    string
		saved   *windowPlace
		area    image.Rectangle
		scale   float32
		size    fyne.Size
		pos     image.Point
		fill    bool
		noPlace bool
	}{
		{"first start, 1366×768: fills", nil, laptop, 1, fyne.NewSize(1350, 728), image.Pt(0, 0), true, false},
		{"first start, 1024×768: fills", nil, small, 1, fyne.NewSize(1008, 728), image.Pt(0, 0), true, false},
		{"first start, second monitor", nil, second, 1, fyne.NewSize(1350, 688), image.Pt(1920, 0), true, false},
		{"first start, 1920×1080: 1280×800 centred", nil, big, 1, fyne.NewSize(1280, 800), image.Pt(320, 140), false, false},
		{"first start, 1920×1080 at 150%: fills", nil, big, 1.5, fyne.NewSize(1269.3334, 693.3333), image.Pt(0, 0), true, false},
		{"saved place that fits", &windowPlace{Width: 1100, Height: 700, X: 120, Y: 20, HasPos: true}, laptop, 1,
			fyne.NewSize(1100, 700), image.Pt(120, 20), false, false},
		{"saved size without position: centred", &windowPlace{Width: 1100, Height: 700}, laptop, 1,
			fyne.NewSize(1100, 700), image.Pt(133, 34), false, false},
		{"saved on a monitor that is gone: centred", &windowPlace{Width: 1100, Height: 700, X: 2500, Y: 20, HasPos: true}, laptop, 1,
			fyne.NewSize(1100, 700), image.Pt(133, 34), false, false},
		{"saved place running off the screen: centred", &windowPlace{Width: 1100, Height: 700, X: 400, Y: 20, HasPos: true}, laptop, 1,
			fyne.NewSize(1100, 700), image.Pt(133, 34), false, false},
		{"saved on a bigger screen: fills the small one", &windowPlace{Width: 1600, Height: 1000, X: 10, Y: 10, HasPos: true}, laptop, 1,
			fyne.NewSize(1350, 728), image.Pt(0, 0), true, false},
		{"saved maximized", &windowPlace{Width: 1920, Height: 1040, Maximized: true}, big, 1,
			fyne.NewSize(1904, 1040), image.Pt(0, 0), true, false},
		{"saved too small", &windowPlace{Width: 300, Height: 200, HasPos: true}, big, 1,
			fyne.NewSize(1280, 800), image.Pt(320, 140), false, false},
		{"no screen information", nil, image.Rectangle{}, 1, fyne.NewSize(minW+200, minH+100), image.Point{}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size, pos, hasPos, fill := fitPlace(tc.saved, tc.area, tc.scale)
			if size != tc.size || fill != tc.fill || hasPos == tc.noPlace || (hasPos && pos != tc.pos) {
				t.Errorf("fitPlace = %v at %v (placed %v, fill %v), want %v at %v (fill %v)", size, pos, hasPos, fill, tc.size, tc.pos, tc.fill)
			}
			if size.Width < minW || size.Height < minH {
				t.Errorf("size %v is below the content's minimum", size)
			}
		})
	}
}
