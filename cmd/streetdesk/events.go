package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/streetdesk/streetdesk"
)

// cmdProposeEvent queues a lead's big-data event proposal (proposeEvent):
// the orders, a title, why and the suggested department. It waits in the
// outbox like every change and goes up with the next sync; the dispatcher's
// decision comes back as a note on each order.
func (m *Main) cmdProposeEvent(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("propose-event", flag.ContinueOnError)
	title := fs.String("title", "", "the event's title, e.g. 星湖花园垃圾站夜间噪音")
	reason := fs.String("reason", "", "why one fix at the source is needed")
	dept := fs.String("department", "", "the responsible department you suggest (default: the duty list's)")
	hotspot := fs.String("hotspot", "", "the hotspot the orders come from (streetdesk hotspots), for the dispatcher")
	ids, err := orderIDs(parseInterleaved(fs, args))
	if err != nil {
		return err
	}
	switch {
	case len(ids) < streetdesk.MinEventMembers:
		return streetdesk.Errorf(streetdesk.EINVALID, "propose-event needs at least %d ORDER-IDs (got %d)", streetdesk.MinEventMembers, len(ids))
	case strings.TrimSpace(*title) == "":
		return streetdesk.Errorf(streetdesk.EINVALID, "propose-event needs --title")
	case strings.TrimSpace(*reason) == "":
		return streetdesk.Errorf(streetdesk.EINVALID, "propose-event needs --reason")
	}
	s, err := m.openSession(ctx)
	if err != nil {
		return err
	}
	// The proposal is committed before Close; closing cannot lose it.
	defer func() { _ = s.Close() }()
	id, err := s.desk.ProposeEvent(ctx, streetdesk.EventInput{Title: *title, Reason: *reason, Department: *dept,
		OrderIDs: ids, HotspotID: *hotspot})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "saved on this computer: event proposal %s of %d orders (will sync; the dispatcher decides)\n", id, len(ids))
	return nil
}
