package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/streetdesk/streetdesk"
	"github.com/zalando/go-keyring"
)

// Profile is one signed-in user on one platform: its own database, media
// folder and token. Signing out deletes only the token.
type Profile struct {
	Name     string          `json:"name"` // folder name: user@host_port
	Server   string          `json:"server"`
	Username string          `json:"username"`
	User     streetdesk.User `json:"user"`
	CAFile   string          `json:"caFile,omitempty"`
	Settings Settings        `json:"settings"`
	// Window is where this user's window was last (the GUI reopens it there).
	Window *windowPlace `json:"window,omitempty"`
	dir    string
}

// Settings are the user's choices for one profile (streetdesk config).
type Settings struct {
	// DownloadBudgetMB bounds the disk used by photos others attached,
	// kept for offline viewing (0: the default, 200 MB).
	DownloadBudgetMB int `json:"downloadBudgetMB,omitempty"`
	// DownscaleMaxSide, when > 0, shrinks imported photos so their longer
	// side is at most this many pixels before they are attached and sent.
	DownscaleMaxSide int `json:"downscaleMaxSide,omitempty"`
}

// Dir is the profile's folder.
func (p *Profile) Dir() string { return p.dir }

// DBPath is the local SQLite file.
func (p *Profile) DBPath() string { return filepath.Join(p.dir, "local.db") }

// MediaDir is the content-addressed photo folder.
func (p *Profile) MediaDir() string { return filepath.Join(p.dir, "media") }

// defaultDataDir is the OS's per-user application data folder.
func defaultDataDir() (string, error) {
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" {
		if d := os.Getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "streetdesk"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find home folder: %w", err)
		}
		return filepath.Join(home, ".local", "share", "streetdesk"), nil
	}
	d, err := os.UserConfigDir() // %AppData% on Windows, ~/Library/Application Support on macOS
	if err != nil {
		return "", fmt.Errorf("find app data folder: %w", err)
	}
	return filepath.Join(d, "streetdesk"), nil
}

// profileName makes a folder-safe name for a user on a server.
func profileName(server, username string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", streetdesk.Errorf(streetdesk.EINVALID, "platform address %q is not an http(s) URL", server)
	}
	host := strings.NewReplacer(":", "_", "/", "_", "\\", "_").Replace(u.Host)
	var b strings.Builder
	for _, r := range username {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "", streetdesk.Errorf(streetdesk.EINVALID, "username is required")
	}
	return b.String() + "@" + host, nil
}

type current struct {
	Profile string `json:"profile"`
}

// loadCurrent returns the profile last signed in, or ENOTFOUND.
func loadCurrent(dataDir string) (*Profile, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "current.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "not signed in: run `streetdesk login` first")
	} else if err != nil {
		return nil, fmt.Errorf("read current profile: %w", err)
	}
	var c current
	if err := json.Unmarshal(b, &c); err != nil || c.Profile == "" {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "current.json in %s is damaged; sign in again", dataDir)
	}
	return loadProfile(dataDir, c.Profile)
}

func loadProfile(dataDir, name string) (*Profile, error) {
	dir := filepath.Join(dataDir, "profiles", name)
	b, err := os.ReadFile(filepath.Join(dir, "profile.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "no profile %s: run `streetdesk login` first", name)
	} else if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "profile %s is damaged; sign in again", name)
	}
	p.dir = dir
	return &p, nil
}

// saveProfile writes the profile and makes it current, atomically.
func saveProfile(dataDir string, p *Profile) error {
	p.dir = filepath.Join(dataDir, "profiles", p.Name)
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return fmt.Errorf("create profile folder: %w", err)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(p.dir, "profile.json"), b, 0o600); err != nil {
		return err
	}
	c, _ := json.Marshal(current{Profile: p.Name})
	return writeFileAtomic(filepath.Join(dataDir, "current.json"), c, 0o600)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Tokens are kept in the OS keyring where one works, else in a 0600 file in
// the profile folder. STREETDESK_NO_KEYRING=1 forces the file (tests, CI).
type tokenStore struct {
	profile *Profile
}

const keyringService = "streetdesk"

// Tokens is what is stored: the bearer token and the refresh token.
type Tokens struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refreshToken"`
}

func (s tokenStore) useKeyring() bool { return os.Getenv("STREETDESK_NO_KEYRING") == "" }

func (s tokenStore) file() string { return filepath.Join(s.profile.dir, "token.json") }

func (s tokenStore) Load() (Tokens, error) {
	var t Tokens
	if s.useKeyring() {
		if v, err := keyring.Get(keyringService, s.profile.Name); err == nil {
			if json.Unmarshal([]byte(v), &t) == nil {
				return t, nil
			}
		}
	}
	b, err := os.ReadFile(s.file())
	if errors.Is(err, os.ErrNotExist) {
		return t, streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "signed out: run `streetdesk login` again")
	} else if err != nil {
		return t, fmt.Errorf("read token: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "stored token is damaged: sign in again")
	}
	return t, nil
}

func (s tokenStore) Save(t Tokens) error {
	b, _ := json.Marshal(t)
	if s.useKeyring() {
		if err := keyring.Set(keyringService, s.profile.Name, string(b)); err == nil {
			os.Remove(s.file())
			return nil
		}
	}
	return writeFileAtomic(s.file(), b, 0o600)
}

func (s tokenStore) Delete() error {
	if s.useKeyring() {
		_ = keyring.Delete(keyringService, s.profile.Name)
	}
	if err := os.Remove(s.file()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove token: %w", err)
	}
	return nil
}
