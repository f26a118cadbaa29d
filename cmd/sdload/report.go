package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	gosync "sync"
	"text/tabwriter"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

// Report is what a run measured and what the check found.
type Report struct {
	Options      Options             `json:"options"`
	SetupSeconds float64             `json:"setupSeconds"`
	Seconds      float64             `json:"seconds"` // the run phase
	Ops          map[string]OpReport `json:"ops"`
	Mutations    int64               `json:"mutations"`   // queued by desks (setup to drain)
	Resent       int64               `json:"resent"`      // sent again after a failed push (run and drain)
	Changes      int64               `json:"changes"`     // changes received by pulls
	Idle         int64               `json:"idleActions"` // actions with nothing to do
	Errors       []counted           `json:"errors"`      // failed requests by "op kind"
	// FirstError and LastError are when the run's first and last failed
	// request ended (none: nil).
	FirstError     *time.Time  `json:"firstError,omitempty"`
	LastError      *time.Time  `json:"lastError,omitempty"`
	Results        []counted   `json:"results"`        // push results by "status CODE" (run and drain)
	LoadCPUSeconds float64     `json:"loadCpuSeconds"` // sdload's own CPU during the run
	Platform       *ProcReport `json:"platform,omitempty"`
	Held           *HeldReport `json:"held,omitempty"` // --mode wait with --watch-pid
	Check          CheckReport `json:"check"`
}

// OpReport is one operation's successful requests: rate and latency.
type OpReport struct {
	Count     int64   `json:"count"`
	PerSecond float64 `json:"perSecond"`
	P50ms     float64 `json:"p50ms"`
	P95ms     float64 `json:"p95ms"`
	P99ms     float64 `json:"p99ms"`
	Maxms     float64 `json:"maxms"`
}

// ProcReport is the watched platform process.
type ProcReport struct {
	PeakRSSMB  float64 `json:"peakRssMB"`  // highest sample during setup, run and drain
	HWMRSSMB   float64 `json:"hwmRssMB"`   // the kernel's high-water mark since the process started
	EndRSSMB   float64 `json:"endRssMB"`   // last sample
	CPUSeconds float64 `json:"cpuSeconds"` // during the run phase
	CPUPercent float64 `json:"cpuPercent"` // of one core, during the run phase
	Error      string  `json:"error,omitempty"`
}

// CheckReport is the end-of-run check: no mutation lost, none applied twice.
type CheckReport struct {
	OK        bool   `json:"ok"`
	Problem   string `json:"problem,omitempty"`
	Mutations int    `json:"mutations"` // queued in the whole run (setup to drain)
	Answered  int    `json:"answered"`  // with a result from the platform
	// Stored: results the platform holds for the desks' clients, found in a
	// fresh snapshot pull of each desk, matching the pushed key.
	Stored int `json:"stored"`
	Notes  int `json:"notes"` // notes found for the applied addNote mutations
	// Photos: photos attached by applied mutations whose bytes, read back
	// from the platform, have the SHA-256 they were uploaded with.
	Photos int `json:"photos"`
	// EffectChecked: the platform's database was read (--verify-db); every
	// key must have been applied exactly once.
	EffectChecked bool `json:"effectChecked"`
	AppliedOnce   int  `json:"appliedOnce"`
	NotApplied    int  `json:"notApplied"`
	AppliedTwice  int  `json:"appliedTwice"`
}

func (rep *Report) fill(r *run, elapsed time.Duration) {
	rep.Seconds = elapsed.Seconds()
	rep.Ops = map[string]OpReport{}
	for _, op := range ops {
		counts := r.stats.hist[op].snapshot()
		n := r.stats.ok[op].Load()
		if n == 0 {
			continue
		}
		q := quantiles(counts, 0.5, 0.95, 0.99, 1)
		f := func(d time.Duration) float64 { return float64(d) / 1e6 }
		rep.Ops[op] = OpReport{Count: n, PerSecond: float64(n) / elapsed.Seconds(), P50ms: f(q[0]), P95ms: f(q[1]), P99ms: f(q[2]), Maxms: f(q[3])}
	}
	rep.Changes, rep.Idle = r.stats.changes.Load(), r.idle.Load()
	r.stats.mu.Lock()
	rep.Errors = sortedCounts(r.stats.errs)
	r.stats.mu.Unlock()
	for _, at := range []struct {
		ns  int64
		dst **time.Time
	}{{r.stats.firstErr.Load(), &rep.FirstError}, {r.stats.lastErr.Load(), &rep.LastError}} {
		if at.ns != 0 {
			t := time.Unix(0, at.ns).UTC()
			*at.dst = &t
		}
	}
}

// fillDrained adds the counts that include the drain.
func (rep *Report) fillDrained(r *run) {
	rep.Mutations, rep.Resent = r.stats.mutations.Load(), r.stats.resent.Load()
	r.stats.mu.Lock()
	rep.Results = sortedCounts(r.stats.results)
	r.stats.mu.Unlock()
}

func (rep *Report) print(w io.Writer) {
	o := rep.Options
	fmt.Fprintf(w, "sdload: %d desks, %s at %s (setup %.1fs); pull every %s, action every %s, photo every %s\n",
		o.Users, time.Duration(rep.Seconds*float64(time.Second)).Round(time.Millisecond), o.Target, rep.SetupSeconds, o.PullEvery, o.PushEvery, o.PhotoEvery)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tok\tper s\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	for _, op := range ops {
		if s, ok := rep.Ops[op]; ok {
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.1f\t\n", op, s.Count, s.PerSecond, s.P50ms, s.P95ms, s.P99ms, s.Maxms)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "mutations queued %d, resent %d; changes pulled %d; idle actions %d\n", rep.Mutations, rep.Resent, rep.Changes, rep.Idle)
	fmt.Fprintf(w, "results: %s\n", countList(rep.Results))
	fmt.Fprintf(w, "errors: %s\n", countList(rep.Errors))
	fmt.Fprintf(w, "sdload CPU %.1fs", rep.LoadCPUSeconds)
	if p := rep.Platform; p != nil {
		fmt.Fprintf(w, "; platform CPU %.1fs (%.0f%% of a core), RSS peak %.0f MB (high-water %.0f MB), at the end %.0f MB", p.CPUSeconds, p.CPUPercent, p.PeakRSSMB, p.HWMRSSMB, p.EndRSSMB)
		if p.Error != "" {
			fmt.Fprintf(w, " (%s)", p.Error)
		}
	}
	fmt.Fprintln(w)
	if h := rep.Held; h != nil {
		fmt.Fprintf(w, "held waits: %d in flight, platform %d open files, RSS %.1f MB before the first, %.1f MB with all held: %.1f KB per held wait\n",
			h.Waits, h.PlatformFDs, h.BaselineRSSMB, h.HeldRSSMB, h.PerWaitKB)
		if h.HeldGoMB > 0 {
			fmt.Fprintf(w, "held waits, Go memory (heap+stacks after GC): %.1f MB before, %.1f MB held: %.1f KB and %.2f goroutines per held wait\n",
				h.BaselineGoMB, h.HeldGoMB, h.GoPerWaitKB, h.GoroutinesPer)
		}
	}
	c := rep.Check
	verdict := "OK"
	if !c.OK {
		verdict = "FAILED: " + c.Problem
	}
	fmt.Fprintf(w, "check %s: %d mutations, %d answered, %d stored results found, %d notes, %d photos read back intact", verdict, c.Mutations, c.Answered, c.Stored, c.Notes, c.Photos)
	if c.EffectChecked {
		fmt.Fprintf(w, "; in the database %d applied once, %d not applied, %d applied more than once", c.AppliedOnce, c.NotApplied, c.AppliedTwice)
	} else {
		fmt.Fprint(w, "; database not read (no --verify-db)")
	}
	fmt.Fprintln(w)
}

func countList(cs []counted) string {
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s ×%d", c.Kind, c.Count)
	}
	return strings.Join(parts, ", ")
}

// check proves that nothing the desks queued was lost or applied twice:
// every mutation has an answer with its own key; a fresh snapshot of each
// desk holds the platform's stored result for every one of them and every
// note they added; and (with --verify-db) the platform's database counts
// exactly one application per key.
func (r *run) check(ctx context.Context, desks []*desk) CheckReport {
	var c CheckReport
	var problems []string
	var keys []string
	for _, d := range desks {
		c.Mutations += len(d.sent)
		for _, s := range d.sent {
			keys = append(keys, s.m.Key)
			if s.result != nil {
				c.Answered++
			}
		}
	}
	if lost := c.Mutations - c.Answered; lost > 0 {
		problems = append(problems, fmt.Sprintf("%d mutations without an answer after the drain", lost))
	}
	if n := r.mismatch.Load(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d results carried another key than the one pushed", n))
	}

	var mu gosync.Mutex
	err := parallel(ctx, r.opts.Parallel, len(desks), func(i int) error {
		v, err := desks[i].verify(ctx)
		mu.Lock()
		defer mu.Unlock()
		c.Stored += v.stored
		c.Notes += v.notes
		c.Photos += v.photos
		return err
	})
	if err != nil {
		problems = append(problems, err.Error())
	}

	if r.opts.VerifyDB != "" {
		if err := c.checkDB(ctx, r.opts.VerifyDB, keys); err != nil {
			problems = append(problems, err.Error())
		}
	}
	c.OK = len(problems) == 0
	c.Problem = strings.Join(problems, "; ")
	return c
}

func (c *CheckReport) checkDB(ctx context.Context, path string, keys []string) error {
	a, err := platform.OpenAudit(ctx, path)
	if err != nil {
		return fmt.Errorf("--verify-db: %w", err)
	}
	defer a.Close()
	counts, err := a.EffectCounts(ctx, keys)
	if err != nil {
		return fmt.Errorf("--verify-db: %w", err)
	}
	c.EffectChecked = true
	for _, k := range keys {
		switch n := counts[k]; {
		case n == 1:
			c.AppliedOnce++
		case n == 0:
			c.NotApplied++
		default:
			c.AppliedTwice++
		}
	}
	if c.NotApplied > 0 || c.AppliedTwice > 0 {
		return fmt.Errorf("in the database %d mutations were never applied and %d more than once", c.NotApplied, c.AppliedTwice)
	}
	return nil
}

// verified is what one desk's check found intact.
type verified struct{ stored, notes, photos int }

// verify pulls a fresh snapshot as the desk's client and matches it with
// what the desk sent: the stored result of every mutation (same id, same
// key), every note of an applied addNote exactly once, and every photo of
// an applied attachPhoto referenced once with bytes that read back with
// their SHA-256.
func (d *desk) verify(ctx context.Context) (verified, error) {
	var v verified
	results := map[int64]string{}
	noteSeen := map[string]int{}
	photoSeen := map[string]string{} // photo ref id → sha256
	cursor := ""
	for {
		p, err := d.c.Pull(ctx, d.clientID, cursor, streetdesk.MaxPullLimit)
		if err != nil {
			return v, fmt.Errorf("%s: snapshot: %w", d.username, err)
		}
		for _, ch := range p.Changes {
			switch {
			case ch.Type == streetdesk.ChangeMutationResult && ch.Result != nil:
				if _, dup := results[ch.Result.ID]; dup {
					return v, fmt.Errorf("%s: mutation %d has two stored results", d.username, ch.Result.ID)
				}
				results[ch.Result.ID] = ch.Result.Key
			case ch.Type == streetdesk.ChangeNote && ch.Note != nil:
				noteSeen[ch.Note.ID]++
			case ch.Type == streetdesk.ChangePhotoRef && ch.Photo != nil:
				photoSeen[ch.Photo.ID] = ch.Photo.SHA256
			}
		}
		cursor = p.Cursor
		if !p.HasMore {
			break
		}
	}
	for _, s := range d.sent {
		key, ok := results[s.m.ID]
		switch {
		case !ok && s.result != nil:
			return v, fmt.Errorf("%s: mutation %d was answered but the platform has no stored result", d.username, s.m.ID)
		case ok && key != s.m.Key:
			return v, fmt.Errorf("%s: mutation %d is stored with another key", d.username, s.m.ID)
		case ok:
			v.stored++
		}
		applied := s.result != nil && (s.result.Status == streetdesk.ResultApplied || s.result.Status == streetdesk.ResultDuplicate)
		if s.noteID != "" && applied {
			if noteSeen[s.noteID] != 1 {
				return v, fmt.Errorf("%s: note %s appears %d times", d.username, s.noteID, noteSeen[s.noteID])
			}
			v.notes++
		}
		if s.photoRefID != "" && applied {
			if got := photoSeen[s.photoRefID]; got != s.photoSHA {
				return v, fmt.Errorf("%s: photo %s is referenced with sha256 %q, pushed %s", d.username, s.photoRefID, got, s.photoSHA)
			}
			if err := d.checkBlob(ctx, s.photoSHA); err != nil {
				return v, err
			}
			v.photos++
		}
	}
	return v, nil
}

// checkBlob reads a photo back from the platform and checks its SHA-256.
func (d *desk) checkBlob(ctx context.Context, sha string) error {
	body, _, err := d.c.GetBlob(ctx, sha)
	if err != nil {
		return fmt.Errorf("%s: photo %s: %w", d.username, sha, err)
	}
	defer func() { _ = body.Close() }() // read to the end; the hash decides
	h := sha256.New()
	if _, err := io.Copy(h, body); err != nil {
		return fmt.Errorf("%s: photo %s: %w", d.username, sha, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fmt.Errorf("%s: photo %s reads back with sha256 %s", d.username, sha, got)
	}
	return nil
}
