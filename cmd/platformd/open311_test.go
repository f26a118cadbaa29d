package main

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk/internal/pgtest"
)

// TestImportOpen311 imports real captures into a seeded demo: what maps is
// imported, every record that does not is listed on stderr with its line,
// and then the exit status says so.
func TestImportOpen311(t *testing.T) {
	dir := t.TempDir()
	db := pgtest.PlatformDB(t, dir)
	media := filepath.Join(dir, "media")
	if _, _, err := run(t, "", "seed", "--db", db, "--media", media, "--demo", "--orders", "5", "--password", "demo-pass"); err != nil {
		t.Fatal(err)
	}
	captures := filepath.Join("..", "..", "testdata", "open311")
	mapFile := filepath.Join(captures, "map.csv")
	chicago := filepath.Join(captures, "chicago_requests_2014-07-12.json")
	toronto := filepath.Join(captures, "toronto_requests_2018-07-30.xml")
	out, errOut, err := run(t, "", "import-open311", "--db", db, "--media", media, "--team", "440303001-cg", "--map", mapFile, chicago, toronto)
	if err != nil || !strings.Contains(out, chicago+": 2 records, 2 imported, 0 not imported") ||
		!strings.Contains(out, toronto+": 2 records, 2 imported, 0 not imported") || errOut != "" {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	// Without the map nothing of Bloomington's maps: each record is named.
	bloomington := filepath.Join(captures, "bloomington_IN_requests_2012-05-23.json")
	out, errOut, err = run(t, "", "import-open311", "--db", db, "--media", media, "--team", "440303001-cg", bloomington)
	if err == nil || err.Error() != "21 records not imported (listed above)" || strings.Count(errOut, ": not imported: ") != 21 ||
		!strings.Contains(errOut, bloomington+":line 1 (record 21, 4fbbf5e7b1fe2c6a6c000000): not imported: service") {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	for _, bad := range [][]string{
		{"import-open311", "--db", db, "--media", media, "--team", "440303001-cg"},
		{"import-open311", "--db", db, "--media", media, chicago},
		{"import-open311", "--db", db, "--media", media, "--team", "nope", chicago},
		{"import-open311", "--db", db, "--media", media, "--team", "440303001-cg", "--zone", "Mars/Olympus", chicago},
		{"import-open311", "--db", db, "--media", media, "--team", "440303001-cg", "--map", chicago, chicago},
		{"import-open311", "--db", db, "--media", media, "--team", "440303001-cg", mapFile},
	} {
		if _, _, err := run(t, "", bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestOpen311Keys: a channel's api_key is printed once; the list shows the
// keys by id, never a key or a whole hash; revoke by id or by the key
// itself; bad channels, names and references are refused.
func TestOpen311Keys(t *testing.T) {
	dir := t.TempDir()
	db := pgtest.PlatformDB(t, dir)
	media := filepath.Join(dir, "media")
	add := func(channel, name string) string {
		t.Helper()
		out, _, err := run(t, "", "open311-key", "add", "--db", db, "--media", media, "--channel", channel, "--name", name)
		m := regexp.MustCompile(`^api_key of ` + regexp.QuoteMeta(name) + ` \(` + channel + `\), shown once: (o311_[0-9a-f]{40})\n$`).FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("%v %q", err, out)
		}
		return m[1]
	}
	fms, app := add("web", "FixMyStreet 深圳"), add("app", "i深圳")
	list := func() string {
		t.Helper()
		out, _, err := run(t, "", "open311-key", "list", "--db", db, "--media", media)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := list()
	idOf := func(key string) string {
		sum := sha256.Sum256([]byte(key))
		return hex.EncodeToString(sum[:])[:12]
	}
	for _, want := range []string{"ID", idOf(fms) + "  web", "FixMyStreet 深圳", idOf(app) + "  app", "i深圳"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	for _, key := range []string{fms, app} {
		sum := sha256.Sum256([]byte(key))
		if strings.Contains(out, key[5:]) || strings.Contains(out, hex.EncodeToString(sum[:])[:13]) {
			t.Errorf("list shows a key or more of its hash than the id:\n%s", out)
		}
	}
	// By id, then by the key itself.
	if out, _, err := run(t, "", "open311-key", "revoke", "--db", db, "--media", media, idOf(fms)); err != nil || !strings.Contains(out, "revoked api_key "+idOf(fms)+" of FixMyStreet 深圳 (web)") {
		t.Fatalf("revoke by id: %v %q", err, out)
	}
	if out, _, err := run(t, "", "open311-key", "revoke", "--db", db, "--media", media, app); err != nil || !strings.Contains(out, idOf(app)) {
		t.Fatalf("revoke by key: %v %q", err, out)
	}
	if out := list(); strings.Contains(out, idOf(fms)) || strings.Contains(out, idOf(app)) {
		t.Errorf("revoked keys still listed:\n%s", out)
	}
	for _, bad := range [][]string{
		{"open311-key"},
		{"open311-key", "show", "--db", db},
		{"open311-key", "list", "--db", db, "extra"},
		{"open311-key", "add", "--db", db, "--media", media, "--channel", "fax", "--name", "x"},
		{"open311-key", "add", "--db", db, "--media", media, "--channel", "web"},
		{"open311-key", "revoke", "--db", db, "--media", media},
		{"open311-key", "revoke", "--db", db, "--media", media, idOf(fms)}, // gone
		{"open311-key", "revoke", "--db", db, "--media", media, "abc"},     // too short
		{"open311-key", "revoke", "--db", db, "--media", media, "not-hex-at-all"},
	} {
		if _, _, err := run(t, "", bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
