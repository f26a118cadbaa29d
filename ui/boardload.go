package ui

import (
	"slices"

	streetdesk "github.com/streetdesk/streetdesk"
)

// What the board reads from the Desk, and when: the roster, one page of
// each list, the review count and the conflicts at once, the statistics in
// the background, each time the data changes (Reload: a finished sync, the
// lead's writes, Changed), never when the board is only drawn (Refresh).

// reload reads the roster and the lists at once (one page each) and starts
// reading every team order for the statistics in the background: with
// 20,000 orders in the local store that read takes about a second, and the
// lead can work the lists meanwhile.
func (b *Board) reload() {
	if t, err := b.desk.Team(b.ctx); err != nil {
		b.say(err)
	} else if t != nil {
		b.team = *t
	}
	b.header.SetText(tr("board.header", "{{.Team}} · {{.N}} people", map[string]any{"Team": b.team.Name, "N": len(b.team.Members)}))
	b.membHead.Refresh()

	names := []string{tr("board.allMembers", "All members")}
	for _, m := range b.team.Members {
		names = append(names, m.Name)
	}
	sel := max(b.memberSel.SelectedIndex(), 0)
	b.memberSel.Options = names
	if sel >= len(names) {
		sel = 0
	}
	b.memberSel.OnChanged, b.memberSel.Selected = nil, ""
	b.memberSel.SetSelectedIndex(sel)
	b.memberSel.OnChanged = func(string) { b.onAllFilter() }

	b.awaiting.reload()
	b.awaitHead.SetText(tr("board.awaiting", "Awaiting acceptance ({{.N}})", map[string]int{"N": b.awaiting.total}))
	b.all.reload()
	// The review cards read each order's resolution: build them now only
	// when they are on screen, else when their tab is next chosen.
	if b.tabs.Selected() == b.tabReview {
		b.review.reload()
	} else {
		b.review.recount()
	}
	b.tabReview.Text = tr("board.tabReviewN", "Awaiting review ({{.N}})", map[string]int{"N": b.review.count()})
	b.tabs.Refresh()
	b.showConflicts()
	b.showWrite()
	b.loadStats()
}

// loadStats computes the statistics off the main goroutine and shows them
// there; a newer reload supersedes an older one still running.
func (b *Board) loadStats() {
	b.gen++
	gen, members, now := b.gen, slices.Clone(b.team.Members), b.now()
	if len(b.rows) == 0 {
		b.loading.Show()
	}
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		orders, err := b.loadOrders()
		if b.ctx.Err() != nil {
			return
		}
		stats := streetdesk.ComputeTeamStats(orders, members, now, b.opts.Weeks, b.cal)
		mainDo(func() {
			if gen != b.gen || b.ctx.Err() != nil {
				return
			}
			if err != nil {
				b.say(err)
			}
			b.showStats(stats)
		})
		// The photo checks of the period's resolutions come after: the
		// rates and loads do not wait for them.
		b.tallyEvidence(gen, stats)
	}()
}

// showStats puts new statistics on the member table, the sparklines and
// the charts.
func (b *Board) showStats(s streetdesk.TeamStats) {
	b.stats, b.shown = s, b.gen
	b.rows = slices.Clone(s.Members)
	if s.Unassigned.Open > 0 {
		u := s.Unassigned
		u.Member.Name = tr("board.unassigned", "(unassigned)")
		b.rows = append(b.rows, u)
	}
	b.maxLoad = 0
	for _, r := range b.rows {
		b.maxLoad = max(b.maxLoad, r.Workload)
	}
	b.loading.Hide()
	b.members.Refresh()
	for i, k := range rateKinds {
		b.sparks[i].set(k.weeks(s.Weeks))
	}
	b.strip.Refresh() // the sparklines grew: lay the strip out again
	b.charts.reload()
}

// loadOrders reads every team order: through opts.LoadOrders when given,
// else the team queue page by page.
func (b *Board) loadOrders() ([]streetdesk.WorkOrder, error) {
	if b.opts.LoadOrders != nil {
		return b.opts.LoadOrders(b.ctx)
	}
	f := streetdesk.QueueFilter{Limit: streetdesk.MaxPageSize, Now: b.now(), Sort: streetdesk.SortDispatched}
	var out []streetdesk.WorkOrder
	for {
		p, err := b.desk.Queue(b.ctx, f)
		if err != nil {
			return out, err
		}
		if out == nil {
			out = make([]streetdesk.WorkOrder, 0, p.Total)
		}
		for i := range p.Items {
			out = append(out, p.Items[i].Order)
		}
		f.Offset += len(p.Items)
		if len(p.Items) == 0 || f.Offset >= p.Total {
			return out, nil
		}
	}
}

// watch tells the board its data changed when a sync finishes.
func (b *Board) watch() {
	if s := b.desk.Sync(); s != nil {
		followSync(b.ctx, nil, s, &b.bg, func(done bool) {
			if done {
				b.Changed()
			}
		})
	}
}
