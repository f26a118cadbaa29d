package localdb_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every DB a test opens is closed, and Close stops the background indexer.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
