package fakedesk_test

import (
	"context"
	"testing"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
)

func TestLifecycleAndQueue(t *testing.T) {
	ctx := context.Background()
	d := fakedesk.New(fakedesk.Options{Orders: 100})
	page, err := d.Queue(ctx, streetdesk.QueueFilter{Limit: 10})
	if err != nil || page.Total != 108 || len(page.Items) != 10 {
		t.Fatalf("queue: %v total=%d items=%d", err, page.Total, len(page.Items))
	}
	if first := page.Items[0].Order; !first.Overdue(fakedesk.DefaultNow) {
		t.Errorf("risk sort: first %s is not overdue", first.ID)
	}
	id := "SZ12345-20260312-000502"
	if err := d.AddNote(ctx, id, "到场"); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Errorf("note before accept: %v", err)
	}
	if err := d.Accept(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := d.AddNote(ctx, id, "现场已核实"); err != nil {
		t.Fatal(err)
	}
	det, err := d.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if det.Order.Status != streetdesk.StatusAccepted || det.Pending != 2 || len(det.Notes) != 1 || det.Notes[0].Sync != streetdesk.SyncPending {
		t.Errorf("after accept+note: %+v", det)
	}
	if got := d.Syncer().Status().Pending; got != 2 {
		t.Errorf("syncer pending = %d", got)
	}
	if p, _ := d.Queue(ctx, streetdesk.QueueFilter{Text: "现场已核实"}); p.Total != 1 {
		t.Errorf("search by note: %d", p.Total)
	}
	if err := d.RequestReturn(ctx, id, streetdesk.ReturnOther, " "); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Errorf("return other without text: %v", err)
	}
}
