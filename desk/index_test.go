package desk_test

import (
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/desk"
)

// indexingOrders is an order service that builds its search in the
// background (as localdb does).
type indexingOrders struct {
	streetdesk.OrderService
	ch chan struct{}
}

func (o indexingOrders) IndexChanged() <-chan struct{} { return o.ch }

// The desk passes on its order service's search-index notices, so the UI
// can say while the index is built; without them its channel never closes.
func TestServicePassesIndexChanged(t *testing.T) {
	ch := make(chan struct{})
	var d streetdesk.Desk = &desk.Service{OrderService: indexingOrders{ch: ch}}
	si, ok := d.(streetdesk.SearchIndexer)
	if !ok {
		t.Fatal("desk.Service is no SearchIndexer")
	}
	close(ch)
	select {
	case <-si.IndexChanged():
	default:
		t.Fatal("the order service's notice did not come through")
	}
	if got := (&desk.Service{}).IndexChanged(); got != nil {
		t.Fatal("a desk without a search indexer returned a channel that may close")
	}
}
