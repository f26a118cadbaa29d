package sync_test

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/streetdesk/streetdesk"
)

// The invariants every sync test ends with:
//
//	I1 no loss: every outbox key is answered by the platform or kept in
//	   the conflicts inbox with its full arguments;
//	I2 no duplication: the platform applied each key at most once;
//	I3 convergence: the desk's shadow is the platform's view of the user
//	   (equal checksums) and the outbox is empty;
//	I4 integrity: every blob the platform verified has the SHA-256 it is
//	   named by;
//	I5 monotonic reads: an order's version in the shadow never goes back;
//	I6 liveness: after the faults heal, the outbox and the uploads drain.
//
// checkInvariants checks I1–I4 and I6 for desktops that have quiesced (I5
// is checked on every ApplyPull by memStore).
// tb is what the checker needs of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
}

func checkInvariants(t tb, p *fakePlatform, stores ...*memStore) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range stores {
		st := s.snapshot()
		// I1 no loss: every key the desktop ever made was answered by the
		// platform or is in the local conflicts inbox.
		for _, k := range st.Keys {
			if _, ok := p.byKey[k]; !ok {
				if _, ok := st.Conflicts[k]; !ok {
					t.Errorf("I1: key %s is neither on the platform nor in conflicts", k)
				}
			}
		}
		for id := range st.Notes {
			if _, ok := p.notes[id]; !ok {
				t.Errorf("I1: note %s missing on the platform", id)
			}
		}
		// I3 convergence.
		if len(st.Outbox) != 0 {
			t.Errorf("I3/I6: outbox not empty: %d rows", len(st.Outbox))
		}
		var vp = p.checksum()
		local := memChecksum(st)
		if local != vp {
			t.Errorf("I3: checksum local %+v platform %+v", local, vp)
		}
		// I4 integrity + I6 upload queue drained.
		for sha, b := range st.Blobs {
			switch b.State {
			case "verified":
				data, ok := p.blobs[sha]
				if !ok {
					t.Errorf("I4: verified blob %s not on the platform", sha)
					continue
				}
				sum := sha256.Sum256(data)
				if hex.EncodeToString(sum[:]) != sha {
					t.Errorf("I4: platform blob %s has another hash", sha)
				}
			case "local":
				t.Errorf("I6: blob %s still waiting to upload", sha)
			}
		}
	}
	// I2 no duplication.
	for k, n := range p.effects {
		if n > 1 {
			t.Errorf("I2: key %s has %d effects", k, n)
		}
	}
}

func memChecksum(st memState) streetdesk.Checksum {
	var vp []streetdesk.VersionPair
	for id, o := range st.Shadow {
		vp = append(vp, streetdesk.VersionPair{ID: id, Version: o.Version})
	}
	return streetdesk.ComputeChecksum(vp)
}
