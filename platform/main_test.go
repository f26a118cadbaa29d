package platform_test

import (
	"os"
	"testing"

	"github.com/streetdesk/streetdesk/internal/pgtest"
)

// The tests run on SQLite, and on PostgreSQL (a cluster of this binary's
// own) under STREETDESK_TEST_DB=postgres.
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
