package localdb_test

import (
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/sync"
)

// localdb does not import sync; its tests check that DB still fits both contracts.
var (
	_ sync.Store              = (*localdb.DB)(nil)
	_ streetdesk.OrderService = (*localdb.DB)(nil)
)
