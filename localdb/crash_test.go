package localdb_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

const crashEnv = "STREETDESK_LOCALDB_CRASH_DB"

// TestHelperProcess is the child of TestCrash: it writes local actions in a
// loop and prints the outbox key of each committed one, until it is killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestCrash")
	}
	ctx := context.Background()
	db, err := localdb.Open(ctx, path, localdb.Options{User: caseworker()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "open")
	out.Flush()
	for i := 0; ; i++ {
		id := fmt.Sprintf("X%02d", i%20)
		var err error
		switch i % 4 {
		case 0, 1:
			err = db.AddNote(ctx, id, fmt.Sprintf("第%d条现场记录：%s", i, strings.Repeat("垃圾站噪声", i%7)))
		case 2:
			_, err = db.AttachPhoto(ctx, id, photo(i), streetdesk.PhotoAfter, "整改后")
		case 3:
			err = db.RecordContact(ctx, id, streetdesk.ContactInput{Method: streetdesk.ContactPhone, Body: "电话回访"})
		}
		// Refusals write nothing: invalid input, or a photo (by content)
		// the order already has from an earlier child.
		if code := streetdesk.ErrorCode(err); err != nil && code != streetdesk.EINVALID && code != streetdesk.ECONFLICT {
			fmt.Fprintln(os.Stderr, "write:", err)
			os.Exit(3)
		}
		if err == nil {
			ms, _ := db.PendingMutations(ctx, 1<<20)
			fmt.Fprintln(out, "ok", ms[len(ms)-1].Key)
			out.Flush()
		}
	}
}

// TestCrash kills a writing child process with SIGKILL at random moments;
// after each kill every action is whole or absent, every action the child
// saw committed is there, the action log is a valid chain holding exactly
// the actions, and the file passes integrity_check.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	db, err := localdb.Open(ctx, path, localdb.Options{User: caseworker()})
	if err != nil {
		t.Fatal(err)
	}
	var orders []streetdesk.WorkOrder
	for i := range 20 {
		orders = append(orders, order(fmt.Sprintf("X%02d", i), streetdesk.StatusAccepted))
	}
	pull(t, db, orders...)
	db.Close()

	rounds := 5
	if os.Getenv("STREETDESK_LONG") != "" {
		rounds = 40
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	prev := 0
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var keys []string
		done, opened := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if sc.Text() == "open" {
					close(opened)
				}
				if k, ok := strings.CutPrefix(sc.Text(), "ok "); ok {
					keys = append(keys, k)
				}
			}
		}()
		// Let it open the file (on a loaded machine a race-built child
		// took longer than the whole kill window just to start), then kill
		// it at a random moment while it writes.
		select {
		case <-opened:
		case <-done:
		case <-time.After(time.Minute):
		}
		time.Sleep(time.Duration(rng.IntN(350)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-done
		werr := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child ended on its own (%v): %s", round, werr, stderr.String())
		}
		db, err := localdb.Open(ctx, path, localdb.Options{User: caseworker()})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		if s, err := localdb.IntegrityCheck(ctx, db); err != nil || s != "ok" {
			t.Fatalf("round %d: integrity_check %q %v", round, s, err)
		}
		n, err := localdb.CheckActions(ctx, db)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, k := range keys {
			if !localdb.HasKey(ctx, db, k) {
				t.Fatalf("round %d: committed action %s lost", round, k)
			}
		}
		// The action log is a valid chain with one entry per action.
		if r, err := db.VerifyAudit(ctx); err != nil || !r.OK() || r.Entries != n {
			t.Fatalf("round %d: action log %+v (%v), %d actions", round, r, err, n)
		}
		t.Logf("round %d: %d actions confirmed by the child, %d in the outbox", round, len(keys), n)
		if n < prev {
			t.Fatalf("outbox shrank from %d to %d", prev, n)
		}
		prev = n
		db.Close()
	}
	if prev == 0 {
		t.Fatalf("the child never committed anything")
	}
}
