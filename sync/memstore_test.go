package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	gosync "sync"
	"time"

	"github.com/google/uuid"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// memStore is an in-memory sync.Store with the semantics localdb promises
// (store.go). With a path, every method is a "transaction" that rewrites
// the file atomically (temp + rename), so crash tests can kill the process
// and reopen it.
type memStore struct {
	mu   gosync.Mutex
	path string
	S    memState
	fail error // every call fails with this (a broken local DB)
	fast bool  // no rollback copy (benchmarks of the sync path alone)
	// held, when set, holds Log and SetState of last_sync until it is
	// closed: the writer busy elsewhere (localdb's indexer after a first
	// sync) when the cycle's bookkeeping is written.
	held chan struct{}
}

type memRow struct {
	M        streetdesk.Mutation
	Answered bool
	Attempts int
	LastErr  string
}

type memBlob struct {
	Path     string
	Size     int64
	MIME     string
	OrderID  string
	State    string // local, verified, failed, missing_local
	URL      string
	Offset   int64
	Msg      string
	Priority int
}

type memState struct {
	ClientID  string
	NextID    int64
	Outbox    []memRow
	Shadow    map[string]streetdesk.WorkOrder
	Revoked   map[string]streetdesk.Revocation
	Staged    map[string]streetdesk.WorkOrder // a reset in progress
	Cursor    string
	Conflicts map[string]streetdesk.MutationResult // by key
	Results   map[string]streetdesk.MutationResult // every answer, by key
	Notes     map[string]streetdesk.Note
	Photos    map[string]streetdesk.PhotoRef
	Blobs     map[string]*memBlob
	Downloads []sync.Download
	Files     map[string]string
	State     map[string]string
	Keys      []string // every key ever enqueued (I1)
	MaxSeen   map[string]int64
	Log       int
}

func newMemStore(path string) *memStore {
	s := &memStore{path: path}
	s.S = memState{Shadow: map[string]streetdesk.WorkOrder{}, Revoked: map[string]streetdesk.Revocation{},
		Conflicts: map[string]streetdesk.MutationResult{}, Results: map[string]streetdesk.MutationResult{},
		Notes: map[string]streetdesk.Note{}, Photos: map[string]streetdesk.PhotoRef{}, Blobs: map[string]*memBlob{},
		Files: map[string]string{}, State: map[string]string{}, MaxSeen: map[string]int64{}}
	if path != "" {
		if b, err := os.ReadFile(path); err == nil {
			if err := json.Unmarshal(b, &s.S); err != nil {
				panic(err)
			}
		}
	}
	return s
}

// wait waits while held is open, as a write waits for the writer, and
// then fails as a database write does if ctx has ended meanwhile.
func (s *memStore) wait(ctx context.Context) error {
	s.mu.Lock()
	h := s.held
	s.mu.Unlock()
	if h == nil {
		return nil
	}
	select {
	case <-h:
	case <-ctx.Done():
	}
	return ctx.Err()
}

func (s *memStore) tx(f func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if s.fast {
		return f()
	}
	// Roll back on error: work on a copy.
	b, _ := json.Marshal(s.S)
	if err := f(); err != nil {
		s.S = memState{}
		_ = json.Unmarshal(b, &s.S)
		return err
	}
	if s.path == "" {
		return nil
	}
	nb, err := json.Marshal(s.S)
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, nb, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

// Local actions (what localdb's OrderService does in one transaction).

func (s *memStore) enqueue(name, orderID string, args any) streetdesk.Mutation {
	return s.enqueueAt(name, orderID, args, time.Time{})
}

// enqueueAt is enqueue with the desktop's clock reading at the time.
func (s *memStore) enqueueAt(name, orderID string, args any, at time.Time) streetdesk.Mutation {
	var m streetdesk.Mutation
	_ = s.tx(func() error {
		raw, _ := json.Marshal(args)
		o := s.S.Shadow[orderID]
		s.S.NextID++
		m = streetdesk.Mutation{ID: s.S.NextID, Key: uuid.Must(uuid.NewV7()).String(), Name: name, OrderID: orderID,
			BaseVersion: o.Version, BaseCycle: o.Cycle, Args: raw, ClientTime: at}
		s.S.Outbox = append(s.S.Outbox, memRow{M: m})
		s.S.Keys = append(s.S.Keys, m.Key)
		return nil
	})
	return m
}

func (s *memStore) addBlob(sha, path string, size int64, orderID string) {
	_ = s.tx(func() error {
		if s.S.Blobs[sha] == nil {
			s.S.Blobs[sha] = &memBlob{Path: path, Size: size, MIME: "image/jpeg", OrderID: orderID, State: "local"}
		}
		return nil
	})
}

func (s *memStore) snapshot() memState {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.S)
	var st memState
	_ = json.Unmarshal(b, &st)
	return st
}

func (s *memStore) restore(st memState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.S = st
}

func (s *memStore) outboxLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.S.Outbox)
}

func (s *memStore) blob(sha string) memBlob {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.S.Blobs[sha]; b != nil {
		return *b
	}
	return memBlob{}
}

// sync.Store

func (s *memStore) ClientID(ctx context.Context) (string, error) {
	var id string
	err := s.tx(func() error {
		if s.S.ClientID == "" {
			s.S.ClientID = uuid.Must(uuid.NewV7()).String()
		}
		id = s.S.ClientID
		return nil
	})
	return id, err
}

func (s *memStore) ForkClient(ctx context.Context) (string, error) {
	var id string
	err := s.tx(func() error {
		s.S.ClientID = uuid.Must(uuid.NewV7()).String()
		id = s.S.ClientID
		var rows []memRow
		for _, r := range s.S.Outbox {
			s.S.NextID++
			r.M.ID = s.S.NextID
			r.Answered = false
			rows = append(rows, r)
		}
		s.S.Outbox = rows
		return nil
	})
	return id, err
}

func (s *memStore) MaxMutationID(ctx context.Context) (int64, error) {
	var n int64
	err := s.tx(func() error { n = s.S.NextID; return nil })
	return n, err
}

func (s *memStore) PendingMutations(ctx context.Context, limit int) ([]streetdesk.Mutation, error) {
	var out []streetdesk.Mutation
	err := s.tx(func() error {
		for _, r := range s.S.Outbox {
			if !r.Answered && len(out) < limit {
				out = append(out, r.M)
			}
		}
		return nil
	})
	return out, err
}

func (s *memStore) recordResult(r streetdesk.MutationResult) {
	if r.Key != "" {
		if _, ok := s.S.Results[r.Key]; !ok || r.Status != streetdesk.ResultDuplicate {
			s.S.Results[r.Key] = r
		}
	}
	if r.Status == streetdesk.ResultRejected || r.Status == streetdesk.ResultConflict {
		s.S.Conflicts[r.Key] = r
	}
}

func (s *memStore) RecordPushResults(ctx context.Context, results []streetdesk.MutationResult) error {
	return s.tx(func() error {
		for _, res := range results {
			for i := range s.S.Outbox {
				if s.S.Outbox[i].M.ID == res.ID {
					s.S.Outbox[i].Answered = true
					if res.Key == "" {
						res.Key = s.S.Outbox[i].M.Key
					}
				}
			}
			s.recordResult(res)
		}
		return nil
	})
}

func (s *memStore) RecordPushAttempt(ctx context.Context, ids []int64, errText string) error {
	return s.tx(func() error {
		for _, id := range ids {
			for i := range s.S.Outbox {
				if s.S.Outbox[i].M.ID == id {
					s.S.Outbox[i].Attempts++
					s.S.Outbox[i].LastErr = errText
				}
			}
		}
		return nil
	})
}

func (s *memStore) PullCursor(ctx context.Context) (string, error) {
	var c string
	err := s.tx(func() error { c = s.S.Cursor; return nil })
	return c, err
}

func (s *memStore) ApplyPull(ctx context.Context, page *streetdesk.PullResponse) error {
	return s.tx(func() error {
		if page.Reset && s.S.Staged == nil {
			s.S.Staged = map[string]streetdesk.WorkOrder{}
		}
		if s.S.Cursor == "" && s.S.Staged == nil {
			// A first sync is a snapshot too: rebuild, never half-merge.
			s.S.Staged = map[string]streetdesk.WorkOrder{}
		}
		for _, ch := range page.Changes {
			switch ch.Type {
			case streetdesk.ChangeWorkOrder:
				if ch.Op == streetdesk.OpRevoke {
					delete(s.S.Shadow, ch.ID)
					if s.S.Staged != nil {
						delete(s.S.Staged, ch.ID)
					}
					s.S.Revoked[ch.ID] = *ch.Revoke
					continue
				}
				target := s.S.Shadow
				if s.S.Staged != nil {
					target = s.S.Staged
				}
				if cur, ok := target[ch.ID]; ok && cur.Version >= ch.Order.Version {
					continue // version guard
				}
				if seen := s.S.MaxSeen[ch.ID]; ch.Order.Version < seen {
					return fmt.Errorf("I5: version of %s went back from %d to %d", ch.ID, seen, ch.Order.Version)
				}
				s.S.MaxSeen[ch.ID] = ch.Order.Version
				target[ch.ID] = *ch.Order
				delete(s.S.Revoked, ch.ID)
			case streetdesk.ChangeNote:
				s.S.Notes[ch.ID] = *ch.Note
			case streetdesk.ChangePhotoRef:
				s.S.Photos[ch.ID] = *ch.Photo
				if b := s.S.Blobs[ch.Photo.SHA256]; b == nil && ch.Photo.BlobPresent {
					s.S.Downloads = append(s.S.Downloads, sync.Download{SHA256: ch.Photo.SHA256, Size: ch.Photo.Size, MIME: ch.Photo.MIME, OrderID: ch.OrderID})
				}
			case streetdesk.ChangeMutationResult:
				s.recordResult(*ch.Result)
			}
		}
		var keep []memRow
		for _, r := range s.S.Outbox {
			if r.M.ID > page.LastMutationID {
				keep = append(keep, r)
			}
		}
		s.S.Outbox = keep
		if !page.HasMore && s.S.Staged != nil {
			s.S.Shadow = s.S.Staged
			s.S.Staged = nil
		}
		s.S.Cursor = page.Cursor
		return nil
	})
}

func (s *memStore) ShadowChecksum(ctx context.Context) (streetdesk.Checksum, error) {
	var c streetdesk.Checksum
	err := s.tx(func() error {
		var vp []streetdesk.VersionPair
		for id, o := range s.S.Shadow {
			vp = append(vp, streetdesk.VersionPair{ID: id, Version: o.Version})
		}
		c = streetdesk.ComputeChecksum(vp)
		return nil
	})
	return c, err
}

func (s *memStore) ClearCursor(ctx context.Context) error {
	return s.tx(func() error { s.S.Cursor = ""; s.S.Staged = nil; return nil })
}

func (s *memStore) PendingUploads(ctx context.Context) ([]sync.Upload, error) {
	var out []sync.Upload
	err := s.tx(func() error {
		for sha, b := range s.S.Blobs {
			if b.State == "local" {
				out = append(out, sync.Upload{SHA256: sha, Path: b.Path, Size: b.Size, MIME: b.MIME, OrderID: b.OrderID, URL: b.URL, Offset: b.Offset, Priority: b.Priority})
			}
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Priority != out[j].Priority {
				return out[i].Priority > out[j].Priority
			}
			return out[i].SHA256 < out[j].SHA256
		})
		return nil
	})
	return out, err
}

func (s *memStore) SetUploadURL(ctx context.Context, sha, url string) error {
	return s.tx(func() error {
		if b := s.S.Blobs[sha]; b != nil {
			b.URL = url
		}
		return nil
	})
}

func (s *memStore) SetUploadProgress(ctx context.Context, sha string, off int64) error {
	return s.tx(func() error {
		if b := s.S.Blobs[sha]; b != nil {
			b.Offset = off
		}
		return nil
	})
}

func (s *memStore) MarkBlobVerified(ctx context.Context, sha string) error {
	return s.tx(func() error {
		if b := s.S.Blobs[sha]; b != nil {
			b.State = "verified"
		}
		return nil
	})
}

func (s *memStore) MarkBlobFailed(ctx context.Context, sha, state, msg string) error {
	return s.tx(func() error {
		if b := s.S.Blobs[sha]; b != nil {
			b.State, b.Msg = state, msg
		}
		return nil
	})
}

func (s *memStore) PendingDownloads(ctx context.Context, budget int64) ([]sync.Download, error) {
	var out []sync.Download
	err := s.tx(func() error {
		var used int64
		for _, d := range s.S.Downloads {
			if _, ok := s.S.Files[d.SHA256]; ok {
				continue
			}
			if used+d.Size > budget {
				break
			}
			used += d.Size
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

func (s *memStore) RegisterDownload(ctx context.Context, sha, path string, size int64, mime string) error {
	return s.tx(func() error { s.S.Files[sha] = path; return nil })
}

func (s *memStore) State(ctx context.Context, key string) (string, error) {
	var v string
	err := s.tx(func() error { v = s.S.State[key]; return nil })
	return v, err
}

func (s *memStore) SetState(ctx context.Context, key, value string) error {
	if key == "last_sync" {
		if err := s.wait(ctx); err != nil {
			return err
		}
	}
	return s.tx(func() error { s.S.State[key] = value; return nil })
}

func (s *memStore) Log(ctx context.Context, e sync.LogEntry) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.tx(func() error { s.S.Log++; return nil })
}
