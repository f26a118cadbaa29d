package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"
)

// platformd audit verify on a platform a desk pushed its action log to:
// clean, then with one byte of a stored entry changed.
func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	db := pgtest.PlatformDB(t, dir)
	media := filepath.Join(dir, "media")
	if _, _, err := run(t, "", "seed", "--db", db, "--media", media, "--demo", "--password", "demo-pass", "--orders", "5"); err != nil {
		t.Fatal(err)
	}
	pushAction(t, db, media)
	out, _, err := run(t, "", "audit", "verify", "--db", db)
	if err != nil || !strings.Contains(out, "1 logs, 1 entries checked: 0 problems") {
		t.Fatalf("clean: %v\n%s", err, out)
	}
	rawExec(t, db, `UPDATE audit_entries SET body = replace(body, '"accept"', '"acceqt"')`)
	out, _, err = run(t, "", "audit", "verify", "--db", db)
	if err == nil || !strings.Contains(out, "BAD_BODY") || !strings.Contains(err.Error(), "1 problems") {
		t.Fatalf("edited: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"audit", "verify"}, {"audit", "verify", "--db", db, "--order", "../x"},
		{"audit", "verify", "--db", db, "--client", "nope"}, {"audit", "check", "--db", db}} {
		if _, _, err := run(t, "", bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// pushAction has cw01 accept one of its orders, with the action's entry.
func pushAction(t *testing.T, db, media string) {
	t.Helper()
	ctx := context.Background()
	srv, err := platform.Open(ctx, platform.Config{DBPath: db, MediaDir: media, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	call := func(method, path, token string, in, out any) {
		t.Helper()
		b, _ := json.Marshal(in)
		req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	var lr streetdesk.LoginResponse
	call(http.MethodPost, "/v1/auth/login", "", streetdesk.LoginRequest{Username: "cw01", Password: "demo-pass"}, &lr)
	var page streetdesk.PullResponse
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/sync/pull", nil)
	req.Header.Set("Authorization", "Bearer "+lr.Token)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	var o *streetdesk.WorkOrder
	for _, c := range page.Changes {
		if c.Order != nil && c.Order.Status == streetdesk.StatusDispatched {
			o = c.Order
		}
	}
	if err != nil || o == nil {
		t.Fatalf("no order to accept (%v)", err)
	}
	me, _ := srv.User(ctx, "cw01")
	m := streetdesk.Mutation{ID: 1, Key: uuid.Must(uuid.NewV7()).String(), Name: streetdesk.MutAccept, OrderID: o.ID,
		BaseVersion: o.Version, BaseCycle: o.Cycle, Args: json.RawMessage(`{}`)}
	cid := uuid.Must(uuid.NewV7()).String()
	en, err := streetdesk.NewChainEntry(nil, streetdesk.ChainKindAction, cid, o.UpdatedAt, streetdesk.ChainActionOf(&m, me.ID))
	if err != nil {
		t.Fatal(err)
	}
	var pr streetdesk.PushResponse
	call(http.MethodPost, "/v1/sync/push", lr.Token, streetdesk.PushRequest{PushVersion: 1, SchemaVersion: streetdesk.SchemaVersion,
		ClientID: cid, Mutations: []streetdesk.Mutation{m}, Chain: []streetdesk.ChainEntry{en}}, &pr)
	if pr.Chain == nil || pr.Chain.Hash != en.Hash || pr.Results[0].Status != streetdesk.ResultApplied {
		t.Fatalf("push: %+v", pr)
	}
}

// rawExec changes the platform's database behind its back.
func rawExec(t *testing.T, db, q string) {
	t.Helper()
	ctx := context.Background()
	if platform.IsPostgres(db) {
		conn, err := pgx.Connect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
		return
	}
	sdb, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.ExecContext(ctx, q); err != nil {
		t.Fatal(err)
	}
}
