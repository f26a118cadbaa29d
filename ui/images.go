package ui

import (
	"image"
	_ "image/jpeg" // photos
	_ "image/png"
	"os"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	xdraw "golang.org/x/image/draw"
)

// loadImage decodes a photo file, scaled down to fit maxSide pixels when
// maxSide > 0. Images are decoded here rather than through
// canvas.NewImageFromFile, whose lazy loading left the software painter
// (headless tests, golden images) without pixels.
func loadImage(path string, maxSide int) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if maxSide > 0 && max(w, h) > maxSide {
		w, h = maxSide, b.Dy()*maxSide/b.Dx()
		if b.Dy() > b.Dx() {
			w, h = b.Dx()*maxSide/b.Dy(), maxSide
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	return dst, nil
}

// photoImage is a canvas image of the file at path, or a placeholder icon
// when it cannot be read.
func photoImage(path string, maxSide int) *canvas.Image {
	if path != "" {
		if img, err := loadImage(path, maxSide); err == nil {
			return canvas.NewImageFromImage(img)
		}
	}
	return canvas.NewImageFromResource(theme.BrokenImageIcon())
}

// thumbnailRaster letterboxes the photo at path into a w×h raster. A raster
// (rather than a canvas.Image) renders the same in windows and in the
// headless software painter, which crashed on freshly added images.
func thumbnailRaster(path string, w, h int) *canvas.Raster {
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	if img, err := loadImage(path, max(w, h)); err == nil {
		b := img.Bounds()
		sw, sh := w, b.Dy()*w/max(b.Dx(), 1)
		if sh > h {
			sw, sh = b.Dx()*h/max(b.Dy(), 1), h
		}
		r := image.Rect((w-sw)/2, (h-sh)/2, (w-sw)/2+sw, (h-sh)/2+sh)
		xdraw.ApproxBiLinear.Scale(dst, r, img, b, xdraw.Src, nil)
	}
	return canvas.NewRasterFromImage(dst)
}
