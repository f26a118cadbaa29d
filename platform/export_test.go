package platform

import (
	"context"

	"github.com/streetdesk/streetdesk/platform/store"
)

// RequestsWaiting is how many requests wait for a slot (tests of load
// shedding wait for a request to be in line before they act).
func (s *Server) RequestsWaiting() int64 { return s.slots.waiting.Load() }

// ChecksumCacheUsage is the checksum cache's entries and counted bytes.
func (s *Server) ChecksumCacheUsage() (entries, bytes int) { return s.sums.usage() }

// TryJobLock takes a background job's lock as the job would.
func (s *Server) TryJobLock(ctx context.Context, job string) (func(), bool, error) {
	return s.db.TryJobLock(ctx, job)
}

// PushesWaiting is how many pushes wait for the next group (tests of group
// commit hold a push in flight until others are in line).
func (s *Server) PushesWaiting() int {
	s.groups.mu.Lock()
	defer s.groups.mu.Unlock()
	return len(s.groups.waiting)
}

// Store is the server's store (tests that compare a store's reads).
func (s *Server) Store() store.Store { return s.db }
