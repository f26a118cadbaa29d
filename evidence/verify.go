package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/streetdesk/streetdesk"
)

// ProblemCode is what Verify found wrong with a package.
type ProblemCode string

// Problems. A package with any of them does not prove what it claims.
const (
	ProblemMissingFile ProblemCode = "MISSING_FILE"   // listed in the manifest, not in the zip
	ProblemExtraFile   ProblemCode = "EXTRA_FILE"     // in the zip, not in the manifest
	ProblemHash        ProblemCode = "HASH_MISMATCH"  // the bytes are not those the manifest lists
	ProblemBadJSON     ProblemCode = "BAD_JSON"       // a JSON file does not parse
	ProblemPhoto       ProblemCode = "PHOTO_MISMATCH" // a photo is not the one photos.json names
	ProblemChain       ProblemCode = "CHAIN"          // the action-log entries do not verify
	ProblemRecord      ProblemCode = "RECORD_DIFFERS" // order.json or photos.json differs from the action log
	ProblemChecks      ProblemCode = "CHECKS_DIFFER"  // checks.json is not what the photos give
)

// Problem is one finding.
type Problem struct {
	File    string      `json:"file"`
	Code    ProblemCode `json:"code"`
	Message string      `json:"message"`
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s: %s", p.File, p.Code, p.Message) }

// Report is what Verify found.
type Report struct {
	Manifest *Manifest `json:"manifest"`
	// ManifestSHA256 is the hash of manifest.json itself: compare it with
	// the one printed when the package was made.
	ManifestSHA256 string    `json:"manifestSha256"`
	Files          int       `json:"files"`
	Photos         int       `json:"photos"`
	ChainEntries   int       `json:"chainEntries"`
	Problems       []Problem `json:"problems,omitempty"`
}

// OK reports whether everything matched.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(file string, code ProblemCode, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{File: file, Code: code, Message: fmt.Sprintf(format, args...)})
}

func refuse(format string, args ...any) error {
	return streetdesk.Errorf(streetdesk.EINVALID, "evidence package: "+format, args...)
}

// Verify reads the package in r (size bytes) and recomputes everything it
// can offline: the hash of every file against the manifest, every photo
// against its name and photos.json, the action-log entries' hashes and
// links, the entries against order.json and photos.json, and the photo
// checks against the photos. A file that is not a package at all (not a
// zip, truncated, an unsafe or duplicate name, too many or too large
// files, no manifest) is an EINVALID error; everything else is a Problem in
// the report. Verify writes nothing.
func Verify(r io.ReaderAt, size int64) (*Report, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, refuse("not a zip file, or cut short (%v)", err)
	}
	if len(zr.File) > MaxFiles {
		return nil, refuse("%d files, more than a package holds (%d)", len(zr.File), MaxFiles)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") && f.FileInfo().IsDir() && cleanName(strings.TrimSuffix(name, "/")) {
			continue // a folder entry some zip tools add
		}
		if !cleanName(name) {
			return nil, refuse("unsafe file name %q (absolute, with .. or a drive): refused", name)
		}
		if _, dup := files[name]; dup {
			return nil, refuse("file %q appears twice", name)
		}
		files[name] = f
	}
	mf, ok := files[FileManifest]
	if !ok {
		return nil, refuse("no %s: not a StreetDesk evidence package", FileManifest)
	}
	var budget int64 = MaxTotalBytes
	mb, err := readFile(mf, MaxJSONBytes, &budget)
	if err != nil {
		return nil, refuse("%s cannot be read: %v", FileManifest, err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, refuse("%s is not a manifest: %v", FileManifest, err)
	}
	if m.Format != Format {
		return nil, refuse("format %q, this program reads %q", m.Format, Format)
	}
	rep := &Report{Manifest: &m, ManifestSHA256: streetdesk.SHA256Hex(mb)}

	// Every file against the manifest.
	listed := map[string]ManifestFile{}
	for _, lf := range m.Files {
		if !cleanName(lf.Name) || lf.Name == FileManifest {
			return nil, refuse("the manifest lists an unsafe file name %q", lf.Name)
		}
		if _, dup := listed[lf.Name]; dup {
			return nil, refuse("the manifest lists %q twice", lf.Name)
		}
		listed[lf.Name] = lf
	}
	content := map[string][]byte{} // the JSON files, read once
	hashes := map[string]string{}  // what each file's bytes hash to
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == FileManifest {
			continue
		}
		lf, ok := listed[name]
		if !ok {
			rep.add(name, ProblemExtraFile, "the file is not listed in the manifest (added after the package was made)")
			continue
		}
		rep.Files++
		limit := int64(MaxJSONBytes)
		if strings.HasPrefix(name, DirPhotos) {
			limit = streetdesk.MaxPhotoBytes
		}
		sum, b, err := hashFile(files[name], limit, &budget, strings.HasSuffix(name, ".json"))
		if errors.Is(err, errBudget) {
			return nil, refuse("more than %d MiB to read: not a package this program makes", MaxTotalBytes>>20)
		}
		if err != nil {
			rep.add(name, ProblemHash, "the file cannot be read (damaged or cut short): %v", err)
			continue
		}
		hashes[name] = sum
		if b != nil {
			content[name] = b
		}
		if sum != lf.SHA256 {
			rep.add(name, ProblemHash, "the file's SHA-256 is %s, the manifest says %s: it was changed", sum, lf.SHA256)
		}
	}
	for _, lf := range m.Files {
		if _, ok := files[lf.Name]; !ok {
			rep.add(lf.Name, ProblemMissingFile, "listed in the manifest but missing from the zip")
		}
	}

	// The contents, as far as they parse.
	var of OrderFile
	var photos []PhotoEntry
	var cf ChecksFile
	var chain []streetdesk.ChainEntry
	parsed := map[string]bool{}
	for _, x := range []struct {
		name string
		v    any
	}{{FileOrder, &of}, {FilePhotos, &photos}, {FileChecks, &cf}, {FileChain, &chain}} {
		b, ok := content[x.name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(b, x.v); err != nil {
			rep.add(x.name, ProblemBadJSON, "does not parse: %v", err)
			continue
		}
		parsed[x.name] = true
	}
	if parsed[FileOrder] && of.Order.ID != m.OrderID {
		rep.add(FileOrder, ProblemRecord, "the order is %q, the manifest says %q", of.Order.ID, m.OrderID)
	}
	if parsed[FilePhotos] {
		verifyPhotos(rep, photos, hashes, listed)
	}
	if parsed[FileChain] {
		verifyChain(rep, &m, chain)
		if parsed[FileOrder] && parsed[FilePhotos] {
			crossCheck(rep, &m, chain, &of, photos)
		}
	}
	if parsed[FileOrder] && parsed[FilePhotos] && parsed[FileChecks] {
		verifyChecks(rep, &m, &of, photos, &cf)
	}
	return rep, nil
}

var errBudget = errors.New("read budget exhausted")

func readFile(f *zip.File, limit int64, budget *int64) ([]byte, error) {
	_, b, err := hashFile(f, limit, budget, true)
	return b, err
}

// hashFile reads f (at most limit bytes, counted against budget), returns
// its SHA-256 and, when keep is set, its bytes. The reader checks the zip's
// CRC-32 at the end.
func hashFile(f *zip.File, limit int64, budget *int64, keep bool) (string, []byte, error) {
	rc, err := f.Open()
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	h := sha256.New()
	var buf *bytes.Buffer
	w := io.Writer(h)
	if keep {
		buf = &bytes.Buffer{}
		w = io.MultiWriter(h, buf)
	}
	max := min(limit, *budget)
	n, err := io.Copy(w, io.LimitReader(rc, max+1))
	*budget -= n
	if err != nil {
		return "", nil, err
	}
	if n > max {
		if *budget <= 0 {
			return "", nil, errBudget
		}
		return "", nil, fmt.Errorf("larger than %d MiB", limit>>20)
	}
	var b []byte
	if keep {
		b = buf.Bytes()
	}
	return hex.EncodeToString(h.Sum(nil)), b, nil
}

func verifyPhotos(rep *Report, photos []PhotoEntry, hashes map[string]string, listed map[string]ManifestFile) {
	named := map[string]bool{}
	for _, p := range photos {
		if p.File == "" {
			continue
		}
		named[p.File] = true
		rep.Photos++
		if p.File != photoName(p.PhotoRef) {
			rep.add(FilePhotos, ProblemPhoto, "photo %s names file %q, expected %q", p.ID, p.File, photoName(p.PhotoRef))
			continue
		}
		got, ok := hashes[p.File]
		if !ok {
			if _, listedToo := listed[p.File]; !listedToo {
				rep.add(p.File, ProblemMissingFile, "photo %s is not in the package", p.ID)
			}
			continue // already reported as missing or unreadable
		}
		if got != p.SHA256 {
			rep.add(p.File, ProblemPhoto, "the photo's SHA-256 is %s, not %s: it is not the photo that was attached", got, p.SHA256)
		}
	}
	for name := range hashes {
		if strings.HasPrefix(name, DirPhotos) && !named[name] {
			rep.add(name, ProblemPhoto, "a photo no entry of %s names", FilePhotos)
		}
	}
}

func verifyChain(rep *Report, m *Manifest, chain []streetdesk.ChainEntry) {
	v := streetdesk.ChainVerifier{FromMiddle: true}
	for _, e := range chain {
		v.Add(e)
	}
	r := v.Report()
	rep.ChainEntries = r.Entries
	for _, p := range r.Problems {
		rep.add(FileChain, ProblemChain, "%s", p.String())
	}
	head := ""
	if r.Head != nil {
		head = r.Head.Hash
	}
	if head != m.ChainHead {
		rep.add(FileChain, ProblemChain, "the last entry's hash is %q, the manifest says %q", head, m.ChainHead)
	}
}

// crossCheck compares the order's action-log entries with what order.json
// and photos.json say about the same notes, photos and resolutions.
func crossCheck(rep *Report, m *Manifest, chain []streetdesk.ChainEntry, of *OrderFile, photos []PhotoEntry) {
	notes := map[string]streetdesk.Note{}
	for _, n := range of.Notes {
		notes[n.ID] = n
	}
	res := map[string]streetdesk.Resolution{}
	for _, r := range of.Resolutions {
		res[r.ID] = r
	}
	refs := map[string]PhotoEntry{}
	for _, p := range photos {
		refs[p.ID] = p
	}
	for _, e := range chain {
		if e.Kind != streetdesk.ChainKindAction || e.Body == nil {
			continue
		}
		a, err := e.Action()
		if err != nil {
			rep.add(FileChain, ProblemChain, "entry %d: %v", e.Seq, streetdesk.ErrorMessage(err))
			continue
		}
		if a.OrderID != m.OrderID {
			rep.add(FileChain, ProblemChain, "entry %d shows an action on order %s", e.Seq, a.OrderID)
			continue
		}
		args, err := streetdesk.DecodeArgs(a.Name, a.Args)
		if err != nil {
			continue // a name this program does not know: nothing to compare
		}
		switch v := args.(type) {
		case *streetdesk.AddNoteArgs:
			n, ok := notes[v.NoteID]
			switch {
			case !ok:
				rep.add(FileOrder, ProblemRecord, "note %s (action-log entry %d) is missing", v.NoteID, e.Seq)
			case n.Body != v.Body:
				rep.add(FileOrder, ProblemRecord, "note %s differs from action-log entry %d", v.NoteID, e.Seq)
			}
		case *streetdesk.RecordContactArgs:
			n, ok := notes[v.NoteID]
			switch {
			case !ok:
				rep.add(FileOrder, ProblemRecord, "contact record %s (action-log entry %d) is missing", v.NoteID, e.Seq)
			case n.Body != v.Body || n.Method != v.Method || n.Reached != v.Reached:
				rep.add(FileOrder, ProblemRecord, "contact record %s differs from action-log entry %d", v.NoteID, e.Seq)
			}
		case *streetdesk.AttachPhotoArgs:
			p, ok := refs[v.PhotoRefID]
			switch {
			case !ok:
				rep.add(FilePhotos, ProblemRecord, "photo %s (action-log entry %d) is missing", v.PhotoRefID, e.Seq)
			case p.SHA256 != v.SHA256 || p.Tag != v.Tag || p.Caption != v.Caption || !p.TakenAt.Equal(v.TakenAt) || p.Lat != v.Lat || p.Lng != v.Lng:
				rep.add(FilePhotos, ProblemRecord, "photo %s differs from action-log entry %d", v.PhotoRefID, e.Seq)
			}
		case *streetdesk.SubmitResolutionArgs:
			r, ok := res[v.ResolutionID]
			switch {
			case !ok:
				rep.add(FileOrder, ProblemRecord, "resolution %s (action-log entry %d) is missing", v.ResolutionID, e.Seq)
			case r.Reply != v.Reply || r.Outcome != v.Outcome || !slices.Equal(r.PhotoRefIDs, v.PhotoRefIDs):
				rep.add(FileOrder, ProblemRecord, "resolution %s differs from action-log entry %d", v.ResolutionID, e.Seq)
			}
		}
	}
}

// verifyChecks recomputes the photo checks from order.json and photos.json
// at the package's time under its policy. Reuse on other orders cannot be
// recomputed offline: those findings are taken as listed.
func verifyChecks(rep *Report, m *Manifest, of *OrderFile, photos []PhotoEntry, cf *ChecksFile) {
	if cf.Policy.RadiusM <= 0 || cf.Policy.ClockToleranceMS <= 0 {
		rep.add(FileChecks, ProblemChecks, "the policy (radius, clock tolerance) is missing")
		return
	}
	uses := map[string][]string{}
	for _, c := range cf.Checks {
		if c.Code == streetdesk.EvidenceReused {
			uses[c.SHA256] = append(uses[c.SHA256], c.Orders...)
		}
	}
	var facts []streetdesk.PhotoFacts
	for _, p := range photos {
		f := streetdesk.PhotoFactsOf(p.PhotoRef)
		f.ZoneAssumed = p.Exif.ZoneAssumed && !f.TakenAt.IsZero()
		facts = append(facts, f)
	}
	want := streetdesk.CheckPhotos(&of.Order, facts, uses, m.CreatedAt, cf.Policy.evidencePolicy())
	key := func(c streetdesk.EvidenceCheck) string {
		c.Explanation = ""
		c.TakenAt, c.Reference = c.TakenAt.UTC(), c.Reference.UTC()
		b, _ := json.Marshal(c)
		return string(b)
	}
	have := map[string]int{}
	for _, c := range cf.Checks {
		have[key(c)]++
	}
	for _, c := range want {
		k := key(c)
		if have[k] > 0 {
			have[k]--
			continue
		}
		rep.add(FileChecks, ProblemChecks, "photo %s should show %s, the file does not", c.PhotoRefID, c.Code)
	}
	for _, c := range cf.Checks {
		if have[key(c)] > 0 {
			have[key(c)]--
			rep.add(FileChecks, ProblemChecks, "photo %s shows %s, which its metadata does not give", c.PhotoRefID, c.Code)
		}
	}
}
