package ui

import (
	_ "embed"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// The bundled CJK font (see font/README.md): Chinese renders the same on
// every machine, with or without system fonts.
//
//go:embed font/StreetDeskCJK.ttf
var cjkFont []byte

var fontResource = fyne.NewStaticResource("StreetDeskCJK.ttf", cjkFont)

type deskTheme struct{ fyne.Theme }

// Theme returns the app's theme: Fyne's default colours (following the
// system's light or dark variant) with the bundled CJK font for every text
// style. Latin letters fall back to Fyne's built-in Noto Sans.
func Theme() fyne.Theme { return &deskTheme{Theme: theme.DefaultTheme()} }

func (t *deskTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return t.Theme.Font(s)
	}
	return fontResource
}

func (t *deskTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch n {
	case colorAmber:
		if v != theme.VariantLight { // Fyne treats anything but light as dark
			return color.NRGBA{R: 0xff, G: 0xc1, B: 0x4d, A: 0xff}
		}
		return color.NRGBA{R: 0xb2, G: 0x6a, B: 0x00, A: 0xff}
	case colorChip:
		if v != theme.VariantLight { // Fyne treats anything but light as dark
			return color.NRGBA{R: 0x3a, G: 0x3f, B: 0x4a, A: 0xff}
		}
		return color.NRGBA{R: 0xe6, G: 0xec, B: 0xf5, A: 0xff}
	}
	return t.Theme.Color(n, v)
}

// Extra colour names of the theme.
const (
	colorAmber fyne.ThemeColorName = "streetdeskAmber" // due soon / today
	colorChip  fyne.ThemeColorName = "streetdeskChip"  // status chip background
)

// themeColor looks a colour up in the current theme and variant.
func themeColor(n fyne.ThemeColorName) color.Color {
	app := fyne.CurrentApp()
	if app == nil {
		return theme.Color(n)
	}
	return app.Settings().Theme().Color(n, app.Settings().ThemeVariant())
}
