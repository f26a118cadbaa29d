package ui

import "fyne.io/fyne/v2/widget"

// Test accessors of the evidence parts of the screens.

// ResolveEvidence returns the resolve dialog's check lines and the
// explanation fields of its warnings, in the order of the checks.
func (u *UI) ResolveEvidence() (lines []string, entries []*widget.Entry) {
	ev := u.detail.resolve.ev
	for i, c := range ev.checks {
		lines = append(lines, evidenceLine(c))
		if e, ok := ev.entries[i]; ok {
			entries = append(entries, &e.Entry)
		}
	}
	return lines, entries
}

func (u *UI) EvidenceButton() *widget.Button { return u.detail.exportBtn }
func (u *UI) DetailSaved() string            { return u.detail.saved.Text }

// ReviewEvidence is review card i's photo-evidence text.
func (b *Board) ReviewEvidence(i int) string { return b.review.cards[i].evidence.Text }

// EvidenceSummary is the board's team tally line.
func (b *Board) EvidenceSummary() string { return b.evidence.Text }

// EvidenceChartTexts are the per-member evidence bars' texts.
func (b *Board) EvidenceChartTexts() []string { return b.charts.ev.Texts() }
