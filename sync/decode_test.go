package sync_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/demo"
	"github.com/streetdesk/streetdesk/sync"
)

// samplePage is a pull page with every kind of change, the orders from the
// demo generator (Chinese text, history, photos, deadlines).
func samplePage(t testing.TB) []byte {
	t.Helper()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var changes []streetdesk.Change
	for _, o := range demo.NewGenerator(3, now).Orders(40) {
		o := o
		changes = append(changes, streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpUpsert, ID: o.ID, OrderID: o.ID, Version: o.Version, Order: &o})
	}
	oid := changes[0].ID
	yes := true
	changes = append(changes,
		streetdesk.Change{Type: streetdesk.ChangeNote, Op: streetdesk.OpUpsert, ID: "n1", OrderID: oid,
			Note: &streetdesk.Note{ID: "0192f0e0-0000-7000-8000-000000000001", WorkOrderID: oid, Kind: streetdesk.NoteSurvey, Body: "现场已核实 <b>&</b> \"引号\"", CreatedAt: now}},
		streetdesk.Change{Type: streetdesk.ChangePhotoRef, Op: streetdesk.OpUpsert, ID: "p1", OrderID: oid,
			Photo: &streetdesk.PhotoRef{ID: "0192f0e0-0000-7000-8000-000000000002", WorkOrderID: oid, SHA256: "ab" + string(bytes.Repeat([]byte("0"), 62)), Size: 10, MIME: "image/jpeg", BlobPresent: true}},
		streetdesk.Change{Type: streetdesk.ChangeMutationResult, Op: streetdesk.OpUpsert, ID: "r1",
			Result: &streetdesk.MutationResult{ID: 7, Key: "0192f0e0-0000-7000-8000-000000000003", Status: streetdesk.ResultConflict, Code: streetdesk.CodeReassigned, BlobPresent: &yes}},
		streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpRevoke, ID: "SZ-1", OrderID: "SZ-1",
			Revoke: &streetdesk.Revocation{Reason: streetdesk.CodeReassigned, NewAssignee: "u2"}},
		streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpUpsert, ID: "SZ-2", OrderID: "SZ-2"}, // order: null
	)
	page := streetdesk.PullResponse{Cursor: "c1", HasMore: true, LastMutationID: 9, Changes: changes, ServerTime: now,
		Checksum: &streetdesk.Checksum{Count: 40, Hash: "sha256:00"}, Features: []string{"auditChain"}}
	b, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodePullMatchesEncodingJSON: the client's page decoder gives what
// encoding/json gives, and keeps each order's bytes as they were sent.
func TestDecodePullMatchesEncodingJSON(t *testing.T) {
	body := samplePage(t)
	var want streetdesk.PullResponse
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatal(err)
	}
	got, err := sync.DecodePull(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	orders := 0
	for i := range got.Changes {
		c := &got.Changes[i]
		if c.Order == nil {
			if len(c.OrderJSON) != 0 {
				t.Errorf("change %d: bytes kept without an order", i)
			}
			continue
		}
		orders++
		want, _ := json.Marshal(c.Order)
		if !bytes.Equal(c.OrderJSON, want) || !bytes.Contains(body, c.OrderJSON) {
			t.Errorf("change %d: kept bytes are not the order as sent:\n%s", i, c.OrderJSON)
		}
		c.OrderJSON = nil
	}
	if orders != 40 {
		t.Errorf("%d orders decoded, want 40", orders)
	}
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("decoded page differs from encoding/json's:\n got %+v\nwant %+v", got, &want)
	}
}

// FuzzDecodePull: whatever the platform (or something in between) sends,
// the page decoder either fails or agrees with encoding/json.
func FuzzDecodePull(f *testing.F) {
	f.Add(samplePage(f))
	f.Add([]byte(`{"cursor":"c","changes":[{"type":"workOrder","op":"upsert","id":"a","order":{"id":"a","version":"x"}}]}`))
	f.Add([]byte(`{"cursor":"c","changes":[{"type":"workOrder","op":"upsert","id":"a","order":{"id":"a\ud800","title":"\xff"}}]}`))
	f.Add([]byte(`{"cursor":"c","changes":null} trailing`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := sync.DecodePull(bytes.NewReader(body))
		if err != nil {
			return
		}
		var want streetdesk.PullResponse
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("accepted what encoding/json refuses (%v): %q", err, body)
		}
		for i := range got.Changes {
			if o := got.Changes[i].Order; o != nil {
				var again streetdesk.WorkOrder
				if err := json.Unmarshal(got.Changes[i].OrderJSON, &again); err != nil {
					t.Fatalf("change %d: kept bytes do not decode: %v", i, err)
				}
			}
			got.Changes[i].OrderJSON = nil
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(&want)
		if !bytes.Equal(gj, wj) {
			t.Fatalf("decoders disagree on %q:\n got %s\nwant %s", body, gj, wj)
		}
	})
}
