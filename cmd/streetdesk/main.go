package main

import (
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("org.streetdesk.desk")
	w := a.NewWindow("StreetDesk")
	w.SetContent(widget.NewLabel("StreetDesk"))
	w.ShowAndRun()
}
