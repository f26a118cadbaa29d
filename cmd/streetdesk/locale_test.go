package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binOut  []byte
)

// streetdeskBinary builds the real streetdesk binary once per test run (the
// same build `make build` does, so the cache serves both).
func streetdeskBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "streetdesk-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "streetdesk")
		binOut, binErr = exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	})
	if binErr != nil {
		t.Fatalf("build streetdesk: %v\n%s", binErr, binOut)
	}
	return binPath
}

// TestCLI_QuietUnderEveryLocale runs the real binary under the locales
// servers and desktops have. A successful command prints its result on
// stdout and nothing on stderr: C.UTF-8 in particular used to print three
// lines of Fyne locale errors on every command, read before main runs.
func TestCLI_QuietUnderEveryLocale(t *testing.T) {
	bin := streetdeskBinary(t)
	p := startPlatformd(t)
	const unset = ""
	locales := []string{"C.UTF-8", "C", "POSIX", unset, "zh_CN.UTF-8", "en_US.UTF-8"}
	data := t.TempDir()
	home := t.TempDir()
	run := func(t *testing.T, locale, stdin string, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--data", data}, args...)...)
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "STREETDESK_NO_KEYRING=1",
			"XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "XDG_CACHE_HOME=" + filepath.Join(home, "cache")}
		if locale != unset {
			env = append(env, "LANG="+locale)
		}
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("LANG=%q streetdesk %s: %v\nstderr: %s", locale, strings.Join(args, " "), err, errb.String())
		}
		return out.String(), errb.String()
	}
	// The order the commands below work on.
	run(t, "C.UTF-8", p.Password+"\n", "login", "--server", p.URL, "--user", "cw01", "--password-stdin")
	run(t, "C.UTF-8", "", "sync", "--once")
	first, _ := run(t, "C.UTF-8", "", "orders", "--limit", "1")
	id, _, _ := strings.Cut(first, " ")
	if !strings.HasPrefix(id, "SZ") {
		t.Fatalf("no order to work with: %q", first)
	}
	out := t.TempDir()
	for _, locale := range locales {
		name := locale
		if name == unset {
			name = "unset"
		}
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct {
				stdin string
				args  []string
			}{
				{p.Password + "\n", []string{"login", "--server", p.URL, "--user", "cw01", "--password-stdin"}},
				{"", []string{"sync", "--once"}},
				{"", []string{"status"}},
				{"", []string{"status", "--json"}},
				{"", []string{"orders", "--limit", "3"}},
				{"", []string{"orders", "--json", "--limit", "2"}},
				{"", []string{"show", id}},
				{"", []string{"show", id, "--json"}},
				{"", []string{"note", id, "现场复核：情况属实 " + name}},
				{"", []string{"conflicts"}},
				{"", []string{"conflicts", "--json"}},
				{"", []string{"config"}},
				{"", []string{"export", "--format", "csv", "--out", filepath.Join(out, name+".csv")}},
				{"", []string{"export", "--format", "xlsx", "--out", filepath.Join(out, name+".xlsx")}},
				{"", []string{"--help"}},
			} {
				stdout, stderr := run(t, locale, c.stdin, c.args...)
				if stderr != "" {
					t.Errorf("LANG=%q streetdesk %s: stderr:\n%s", locale, strings.Join(c.args, " "), stderr)
				}
				if strings.TrimSpace(stdout) == "" && c.args[0] != "conflicts" {
					t.Errorf("LANG=%q streetdesk %s: nothing on stdout", locale, strings.Join(c.args, " "))
				}
				// The timeline names every kind in Chinese, the centre's
				// dispatch included.
				if len(c.args) == 2 && c.args[0] == "show" && (strings.Contains(stdout, " dispatch ") || !strings.Contains(stdout, " 派单 ")) {
					t.Errorf("show: the dispatch entry is not 派单:\n%s", stdout)
				}
			}
		})
	}
}
