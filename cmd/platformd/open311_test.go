package main

import (
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

// TestOpen311KeyAdd: a channel's api_key is printed once; a bad channel or
// name is refused.
func TestOpen311KeyAdd(t *testing.T) {
	dir := t.TempDir()
	db := pgtest.PlatformDB(t, dir)
	media := filepath.Join(dir, "media")
	out, _, err := run(t, "", "open311-key", "add", "--db", db, "--media", media, "--channel", "web", "--name", "FixMyStreet 深圳")
	if err != nil || !regexp.MustCompile(`^api_key of FixMyStreet 深圳 \(web\), shown once: o311_[0-9a-f]{40}\n$`).MatchString(out) {
		t.Fatalf("%v %q", err, out)
	}
	for _, bad := range [][]string{
		{"open311-key"},
		{"open311-key", "list", "--db", db},
		{"open311-key", "add", "--db", db, "--media", media, "--channel", "fax", "--name", "x"},
		{"open311-key", "add", "--db", db, "--media", media, "--channel", "web"},
	} {
		if _, _, err := run(t, "", bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
