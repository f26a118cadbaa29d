package platform_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk/platform/sqlitestore"
)

// TestSQLiteCheckpointsInBackground: a commit leaves the WAL to the
// background checkpointer, which copies every frame into the database file
// (nothing else reads), and Close stops it; the data is there on reopening.
func TestSQLiteCheckpointsInBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	type ckpt struct{ frames, copied int }
	got := make(chan ckpt, 16)
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Checkpointed: func(frames, copied int) {
		select {
		case got <- ckpt{frames, copied}:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	epoch, err := st.Epoch(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-got:
		if c.frames == 0 || c.copied != c.frames {
			t.Fatalf("checkpoint copied %d of %d frames", c.copied, c.frames)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no checkpoint after a commit")
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() < before.Size() {
		t.Fatalf("database file shrank: %d -> %d", before.Size(), after.Size())
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	st, err = sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if again, err := st.Epoch(ctx, "e2"); err != nil || again != epoch {
		t.Fatalf("epoch after reopening: %q %v, want %q", again, err, epoch)
	}
}
