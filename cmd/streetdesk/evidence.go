package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/evidence"
)

// The evidence commands: the action log's check and an order's evidence
// package (made from the local store, verified offline from the zip alone).

// auditJSON is what `audit verify --json` prints.
type auditJSON struct {
	OK       bool                      `json:"ok"`
	Entries  int                       `json:"entries"`
	Forks    int                       `json:"forks"`
	HeadSeq  int64                     `json:"headSeq"`
	HeadHash string                    `json:"headHash"`
	Problems []streetdesk.ChainProblem `json:"problems"`
}

func (m *Main) cmdAudit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	s, pos, err := m.open(ctx, fs, args)
	if err != nil {
		return err
	}
	defer s.Close()
	if len(pos) != 1 || pos[0] != "verify" {
		return streetdesk.Errorf(streetdesk.EINVALID, "usage: streetdesk audit verify [--json]")
	}
	r, err := s.db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	out := auditJSON{OK: r.OK(), Entries: r.Entries, Forks: r.Forks, Problems: r.Problems}
	if r.Head != nil {
		out.HeadSeq, out.HeadHash = r.Head.Seq, r.Head.Hash
	}
	if out.Problems == nil {
		out.Problems = []streetdesk.ChainProblem{}
	}
	if *asJSON {
		if err := printJSON(m.Stdout, out); err != nil {
			return err
		}
	} else {
		for _, p := range r.Problems {
			fmt.Fprintln(m.Stdout, p.String())
		}
		if r.OK() {
			fmt.Fprintf(m.Stdout, "action log OK: %d entries, %d fork(s), last entry %d %s\n", out.Entries, out.Forks, out.HeadSeq, out.HeadHash)
		}
	}
	if !r.OK() {
		return streetdesk.Errorf(streetdesk.ECONFLICT, "the action log does not verify: %d problem(s)", len(r.Problems))
	}
	return nil
}

func (m *Main) cmdEvidence(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "verify" {
		return m.cmdEvidenceVerify(args[1:])
	}
	fs := flag.NewFlagSet("evidence", flag.ContinueOnError)
	out := fs.String("out", "", "the zip to write")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return streetdesk.Errorf(streetdesk.EINVALID, "usage: streetdesk evidence ORDER-ID --out FILE.zip")
	}
	s, err := m.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	ex, err := writeEvidence(ctx, s.desk, streetdesk.NormalizeOrderID(pos[0]), *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "evidence package written: %s (%d files, %d photo(s), %d without their file, %d action-log entries, %d warning(s))\nmanifest sha256: %s\n",
		*out, ex.Files, ex.Photos, ex.MissingPhotos, ex.ChainEntries, ex.Warnings, ex.ManifestSHA256)
	return nil
}

// writeEvidence writes the package to a temp file beside path, syncs it and
// renames it into place: a failure leaves no partial package and nothing
// outside path's folder.
func writeEvidence(ctx context.Context, d streetdesk.EvidenceService, orderID, path string) (*streetdesk.EvidenceExport, error) {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "folder %s does not exist", dir)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	ex, err := d.ExportEvidence(ctx, orderID, tmp)
	if err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	return ex, nil
}

func (m *Main) cmdEvidenceVerify(args []string) error {
	flags := flag.NewFlagSet("evidence verify", flag.ContinueOnError)
	asJSON := flags.Bool("json", false, "JSON output")
	pos, err := parseInterleaved(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return streetdesk.Errorf(streetdesk.EINVALID, "usage: streetdesk evidence verify FILE.zip [--json]")
	}
	f, err := os.Open(pos[0])
	if errors.Is(err, fs.ErrNotExist) {
		return streetdesk.Errorf(streetdesk.ENOTFOUND, "%s: no such file", pos[0])
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", pos[0], err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open %s: %w", pos[0], err)
	}
	r, err := evidence.Verify(f, st.Size())
	if err != nil {
		return err
	}
	if r.Problems == nil {
		r.Problems = []evidence.Problem{}
	}
	if *asJSON {
		if err := printJSON(m.Stdout, r); err != nil {
			return err
		}
	} else {
		for _, p := range r.Problems {
			fmt.Fprintln(m.Stdout, p.String())
		}
		mf := r.Manifest
		fmt.Fprintf(m.Stdout, "order %s, made %s by %s: %d file(s), %d photo(s), %d action-log entries\nmanifest sha256: %s\n",
			mf.OrderID, mf.CreatedAt.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04"), mf.CreatedBy, r.Files, r.Photos, r.ChainEntries, r.ManifestSHA256)
		if r.OK() {
			fmt.Fprintln(m.Stdout, "every hash matches")
		}
	}
	if !r.OK() {
		words := make([]string, 0, len(r.Problems))
		for _, p := range r.Problems {
			words = append(words, p.File)
		}
		return streetdesk.Errorf(streetdesk.ECONFLICT, "the package does not verify: %d problem(s) (%s)", len(r.Problems), strings.Join(uniq(words), ", "))
	}
	return nil
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// explainFlag collects --explain values: "CODE=TEXT" explains that warning
// on every photo of the resolution, "PHOTO-ID:CODE=TEXT" on one photo.
type explainFlag []string

func (e *explainFlag) String() string     { return strings.Join(*e, "; ") }
func (e *explainFlag) Set(v string) error { *e = append(*e, v); return nil }

// explanations turns --explain values into checks carrying the words (the
// desk keeps them on the matching computed warnings).
func (e explainFlag) explanations(photos []string) ([]streetdesk.EvidenceCheck, error) {
	var out []streetdesk.EvidenceCheck
	for _, v := range e {
		key, text, ok := strings.Cut(v, "=")
		photo, code, one := strings.Cut(key, ":")
		if !one {
			photo, code = "", key
		}
		c := streetdesk.EvidenceCode(strings.ToUpper(strings.TrimSpace(code)))
		if !ok || !c.Valid() {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "--explain %q: want CODE=TEXT or PHOTO-ID:CODE=TEXT with a code such as NO_PLACE", v)
		}
		if err := streetdesk.ValidateExplanation(text); err != nil {
			return nil, err
		}
		for _, id := range photos {
			if photo == "" || photo == id {
				out = append(out, streetdesk.EvidenceCheck{Code: c, PhotoRefID: id, Explanation: text})
			}
		}
	}
	return out, nil
}

// printChecks lists the checks sent with a resolution, in Chinese as the
// printed package words them.
func (m *Main) printChecks(cs []streetdesk.EvidenceCheck) {
	for _, c := range cs {
		w := cliWords()
		mark := w.T("cli.check.note", "note")
		if c.Severity == streetdesk.SeverityWarning {
			mark = w.T("cli.check.warning", "⚠ warning")
		}
		line := fmt.Sprintf("%s %s %s: %s", mark, c.PhotoRefID, c.Code, evidence.CheckText(c))
		if c.Explanation != "" {
			line += w.T("cli.check.explained", " (explanation: {{.E}})", map[string]string{"E": c.Explanation})
		}
		fmt.Fprintln(m.Stdout, line)
	}
}
