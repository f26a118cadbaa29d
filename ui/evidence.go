package ui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// Photo evidence on the screens: the checks next to each photo in the
// resolve dialog (warnings, each with an optional one-line explanation),
// in the lead's review, the team's tally on the board, and the evidence
// package from the detail view. The words come from the translations,
// keyed by the check's code; the desk supplies the code and arguments.

// evidenceText words one check.
func evidenceText(c streetdesk.EvidenceCheck) string {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")
	}
	data := map[string]string{
		"Taken": when(c.TakenAt), "Ref": when(c.Reference),
		"D": formatDistance(float64(c.DistanceM)), "R": formatDistance(float64(c.RadiusM)),
		"Orders": strings.Join(c.Orders, ", "),
	}
	switch c.Code {
	case streetdesk.EvidenceBeforeDispatch:
		return tr("evidence.BEFORE_DISPATCH", "Taken {{.Taken}}, before the order was dispatched ({{.Ref}}): an old photo?", data)
	case streetdesk.EvidenceBeforeBefore:
		return tr("evidence.BEFORE_BEFORE_PHOTO", "Taken {{.Taken}}, earlier than the “before” photo ({{.Ref}}).", data)
	case streetdesk.EvidenceFuture:
		return tr("evidence.IN_FUTURE", "Taken {{.Taken}}, later than now ({{.Ref}}): the camera's clock is probably wrong; this proves nothing by itself.", data)
	case streetdesk.EvidenceFar:
		return tr("evidence.FAR_FROM_SITE", "Taken {{.D}} from the order's location (more than {{.R}}).", data)
	case streetdesk.EvidenceNoTime:
		return tr("evidence.NO_TIME", "The photo records no time (screenshots and photos forwarded through chat apps have none).", data)
	case streetdesk.EvidenceNoPlace:
		return tr("evidence.NO_PLACE", "The photo records no place.", data)
	case streetdesk.EvidenceZoneAssumed:
		return tr("evidence.ZONE_ASSUMED", "The camera gave no time zone; the time is read as China time.", data)
	case streetdesk.EvidenceReused:
		return tr("evidence.REUSED", "The same photo is already on other orders: {{.Orders}}.", data)
	}
	return string(c.Code)
}

// evidenceLine is a check as one line, with the mark of its severity and
// the caseworker's explanation when there is one.
func evidenceLine(c streetdesk.EvidenceCheck) string {
	s := evidenceText(c)
	if c.Severity == streetdesk.SeverityWarning {
		s = "⚠ " + s
	}
	if c.Explanation != "" {
		s += " " + tr("evidence.explained", "(Explanation: {{.E}})", map[string]string{"E": c.Explanation})
	}
	return s
}

// resolveEvidence is the checks part of the resolve dialog.
type resolveEvidence struct {
	checks  []streetdesk.EvidenceCheck
	entries map[int]*deskEntry // index into checks → explanation field (warnings only)
	err     error              // the checks could not be computed
}

func (v *detailView) loadResolveEvidence() *resolveEvidence {
	re := &resolveEvidence{entries: map[int]*deskEntry{}}
	re.checks, re.err = v.u.desk.PhotoEvidence(v.u.ctx, v.id)
	return re
}

// box lists the checks of one photo, each warning with its explanation
// field; nil when the photo has none.
func (re *resolveEvidence) box(photoID string, onChange func()) fyne.CanvasObject {
	var rows []fyne.CanvasObject
	for i, c := range re.checks {
		if c.PhotoRefID != photoID {
			continue
		}
		l := &widget.Label{Text: evidenceLine(c), Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText, Importance: widget.LowImportance}
		rows = append(rows, l)
		if c.Severity != streetdesk.SeverityWarning {
			continue
		}
		l.Importance = widget.WarningImportance
		e := newDeskEntry(&deskEntry{Entry: widget.Entry{PlaceHolder: tr("evidence.explainHint", "Explanation (optional, one line)")}})
		e.Validator = func(s string) error { return streetdesk.ValidateExplanation(s) }
		e.OnChanged = func(string) { onChange() }
		re.entries[i] = e
		rows = append(rows, e)
	}
	if len(rows) == 0 {
		return nil
	}
	// Indented under the photo's check box.
	return container.NewBorder(nil, nil, widget.NewLabel(" "), nil, container.NewVBox(rows...))
}

// explanations are what the caseworker wrote, as checks carrying the words.
func (re *resolveEvidence) explanations() []streetdesk.EvidenceCheck {
	var out []streetdesk.EvidenceCheck
	for i, e := range re.entries {
		if t := strings.TrimSpace(e.Text); t != "" {
			c := re.checks[i]
			c.Explanation = t
			out = append(out, c)
		}
	}
	return out
}

// valid reports whether every explanation is acceptable.
func (re *resolveEvidence) valid() bool {
	for _, e := range re.entries {
		if !streetdesk.ExplanationOK(e.Text) {
			return false
		}
	}
	return true
}

// warnings counts the warnings on the chosen photos.
func (re *resolveEvidence) warnings(chosen []string) int {
	return streetdesk.Warnings(streetdesk.ChecksFor(re.checks, chosen))
}

// reviewEvidence words the checks of a resolution for the lead, photo by
// photo: the platform's when it sent them, else computed on this desk,
// with the explanations the resolution was sent with.
func (v *reviewView) reviewEvidence(orderID string, res *streetdesk.Resolution, photos []streetdesk.LocalPhoto) string {
	if res == nil || len(res.PhotoRefIDs) == 0 {
		return ""
	}
	var cs []streetdesk.EvidenceCheck
	if streetdesk.PlatformChecked(res.EvidenceChecks) {
		// The platform checked the bytes it received (and across every
		// order): its findings, with the caseworker's explanations.
		cs = streetdesk.ChecksFor(res.EvidenceChecks, res.PhotoRefIDs)
	} else {
		local, err := v.b.desk.PhotoEvidence(v.b.ctx, orderID)
		if err != nil {
			return errorText(err)
		}
		cs = streetdesk.MergeExplanations(streetdesk.ChecksFor(local, res.PhotoRefIDs), res.EvidenceChecks)
	}
	if len(cs) == 0 {
		return tr("review.evidenceClean", "Photo evidence: nothing to note.")
	}
	lines := []string{tr("review.evidence", "Photo evidence ({{.N}} warnings):", map[string]int{"N": streetdesk.Warnings(cs)})}
	for n, id := range res.PhotoRefIDs {
		var words []string
		for _, c := range cs {
			if c.PhotoRefID == id {
				words = append(words, evidenceLine(c))
			}
		}
		if len(words) == 0 {
			continue
		}
		name := ""
		for _, p := range photos {
			if p.ID == id {
				name = strings.Join(nonEmpty(tagLabel(p.Tag), p.Caption), " · ")
			}
		}
		sep := " "
		if langCode() == "zh" {
			sep = "" // each sentence ends in 。
		}
		lines = append(lines, tr("review.photoN", "Photo {{.N}} ({{.Name}}): {{.Checks}}",
			map[string]string{"N": fmt.Sprint(n + 1), "Name": name, "Checks": strings.Join(words, sep)}))
	}
	return strings.Join(lines, "\n")
}

// evidenceSummary is the team's tally on the board.
func evidenceSummary(t streetdesk.EvidenceTally) string {
	if t.Resolutions == 0 {
		return tr("board.evidenceNone", "Photo evidence: no resolutions in the period.")
	}
	return tr("board.evidence", "Photo evidence: {{.F}} of {{.N}} resolutions had warnings ({{.E}} explained).",
		map[string]int{"F": t.Flagged, "N": t.Resolutions, "E": t.Explained})
}

// onExportEvidence asks where to save the order's evidence package and
// writes it off the main goroutine.
func (v *detailView) onExportEvidence() {
	if v.u.opts.ExportEvidence == nil || v.det == nil {
		return
	}
	id := v.det.Order.ID
	save := v.u.opts.SaveFile
	if save == nil {
		save = v.u.saveDialog
	}
	name := tr("evidence.file", "evidence-{{.ID}}.zip", map[string]string{"ID": id})
	save(name, func(path string) {
		if path == "" {
			return
		}
		if !strings.HasSuffix(strings.ToLower(path), ".zip") {
			path += ".zip"
		}
		v.exportBtn.Disable()
		v.saved.Importance = widget.MediumImportance
		v.saved.SetText(tr("evidence.exporting", "Writing the evidence package…"))
		v.u.bg.Add(1)
		go func() {
			defer v.u.bg.Done()
			ex, err := v.u.opts.ExportEvidence(v.u.ctx, id, path)
			mainDo(func() {
				v.exportBtn.Enable()
				if err != nil {
					v.saved.Importance = widget.DangerImportance
					v.saved.SetText(tr("evidence.exportFailed", "Could not write the evidence package: {{.Err}}", map[string]string{"Err": errorText(err)}))
					return
				}
				v.saved.Importance = widget.SuccessImportance
				v.saved.SetText(tr("evidence.exported", "Evidence package saved to {{.Path}} ({{.P}} photos, {{.W}} warnings). Its fingerprint (manifest SHA-256): {{.H}}",
					map[string]string{"Path": path, "P": fmt.Sprint(ex.Photos), "W": fmt.Sprint(ex.Warnings), "H": ex.ManifestSHA256}))
			})
		}()
	})
}

// newExportButton is the detail view's 导出证据包 button (hidden without
// an exporter).
func (v *detailView) newExportButton() *widget.Button {
	b := &widget.Button{Text: tr("evidence.export", "Evidence package"), Icon: theme.DocumentSaveIcon(), Importance: widget.LowImportance,
		OnTapped: v.onExportEvidence}
	if v.u.opts.ExportEvidence == nil {
		b.Hide()
	}
	return b
}

// photoList holds the resolve dialog's photos and their checks: scrolled
// once it is taller than a third of a 768-pixel screen, so the reply and
// the buttons stay in view.
func photoList(box *fyne.Container) fyne.CanvasObject {
	const maxHeight = 260
	if box.MinSize().Height <= maxHeight {
		return box
	}
	s := container.NewVScroll(box)
	s.SetMinSize(fyne.NewSize(0, maxHeight))
	return s
}

// saveDialog asks where to save a file with Fyne's dialog.
func (u *UI) saveDialog(suggested string, cb func(string)) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			cb("")
			return
		}
		path := wc.URI().Path()
		_ = wc.Close() // the exporter writes the file itself
		cb(path)
	}, u.w)
	d.SetFileName(suggested)
	d.Show()
}

// tallyEvidence counts the photo checks of the period's resolutions into
// a copy of the statistics (off the main goroutine) and puts the tallies
// on the board if it still shows load gen. Without them the tally stays
// empty: the rates do not depend on it.
func (b *Board) tallyEvidence(gen int, s streetdesk.TeamStats) {
	var rs []streetdesk.ResolutionEvidence
	var err error
	if len(s.Weeks) > 0 && b.ctx.Err() == nil {
		rs, err = b.desk.ResolutionEvidence(b.ctx, s.Weeks[0].Start)
	}
	ok := err == nil && len(s.Weeks) > 0
	if ok {
		s.Members = slices.Clone(s.Members)
		streetdesk.TallyEvidence(&s, rs)
	}
	mainDo(func() {
		if gen != b.gen || b.ctx.Err() != nil {
			return
		}
		b.tallied = gen
		if !ok || len(b.stats.Members) != len(s.Members) {
			return
		}
		b.stats.Evidence, b.stats.Unassigned.Evidence = s.Evidence, s.Unassigned.Evidence
		for i := range b.stats.Members {
			b.stats.Members[i].Evidence = s.Members[i].Evidence
		}
		b.evidence.SetText(evidenceSummary(s.Evidence))
		b.strip.Refresh()
		b.charts.reload()
	})
}

// evidenceBars is the share of each member's resolutions that had
// warnings, with "flagged/resolutions" as the text ("—" without any).
func evidenceBars(ms []streetdesk.MemberLoad) ([]float64, []string, []string, float64) {
	var vals []float64
	var texts, labels []string
	for _, m := range ms {
		r := streetdesk.Ratio{Num: m.Evidence.Flagged, Den: m.Evidence.Resolutions}
		v, t := math.NaN(), "—"
		if r.Defined() {
			v, t = r.Value(), fmt.Sprintf("%d/%d", r.Num, r.Den)
		}
		vals, texts, labels = append(vals, v), append(texts, t), append(labels, m.Member.Name)
	}
	return vals, texts, labels, 1
}
