package ui

import (
	"context"
	"time"

	streetdesk "github.com/streetdesk/streetdesk"
)

// pageSize is how many rows a list fetches from the Desk at a time; a list
// asks only for the rows on screen, so 10,000 orders never become 10,000
// widgets.
const pageSize = 200

// queuePages is one filtered Desk.Queue read a page at a time, for a
// virtualized list (the queue, the board's lists): reload reads the first
// page with the total, item the others when a row of theirs first shows.
// The pages stay until the next reload, so redrawing the list reads
// nothing.
type queuePages struct {
	ctx    context.Context
	desk   streetdesk.Desk
	now    func() time.Time
	filter streetdesk.QueueFilter // without Offset, Limit and Now
	total  int
	pages  map[int][]streetdesk.QueueItem
	err    error // the last reload's
}

func newQueuePages(ctx context.Context, d streetdesk.Desk, now func() time.Time, f streetdesk.QueueFilter) queuePages {
	return queuePages{ctx: ctx, desk: d, now: now, filter: f, pages: map[int][]streetdesk.QueueItem{}}
}

// reload drops the pages read so far and reads the first with the total.
func (p *queuePages) reload() error {
	p.pages = map[int][]streetdesk.QueueItem{}
	p.total, p.err = 0, nil
	pg, err := p.read(0)
	if err != nil {
		p.err = err
		return err
	}
	p.total = pg.Total
	p.pages[0] = pg.Items
	return nil
}

func (p *queuePages) read(page int) (streetdesk.QueuePage, error) {
	f := p.filter
	f.Offset, f.Limit, f.Now = page*pageSize, pageSize, p.now()
	return p.desk.Queue(p.ctx, f)
}

// item returns row i, reading its page on first use.
func (p *queuePages) item(i int) (streetdesk.QueueItem, bool) {
	pi := i / pageSize
	page, ok := p.pages[pi]
	if !ok {
		pg, err := p.read(pi)
		if err != nil {
			return streetdesk.QueueItem{}, false
		}
		page = pg.Items
		p.pages[pi] = page
	}
	if j := i % pageSize; j < len(page) {
		return page[j], true
	}
	return streetdesk.QueueItem{}, false
}

// Deadline filter choices, in the order of the queue's and the board's
// deadline selects.
const (
	dueAll = iota
	dueOverdue
	dueSoon
	dueToday
)

// filterDue narrows f to the deadline choice at now; "today" ends at
// midnight in loc (the calendar's zone, where deadlines are counted).
func filterDue(f *streetdesk.QueueFilter, choice int, now time.Time, loc *time.Location) {
	switch choice {
	case dueOverdue:
		f.Overdue = true
	case dueSoon:
		f.DueWithin = streetdesk.DueSoonWindow
	case dueToday:
		n := now.In(loc)
		end := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, loc)
		f.DueWithin = end.Sub(n)
	}
}
