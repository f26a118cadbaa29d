package media

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"

	"github.com/streetdesk/streetdesk"
)

// Meta is what a photo's EXIF says. The zero value (with Orientation 1) is
// what a photo without usable EXIF yields.
type Meta struct {
	Orientation int // 1–8
	TakenAt     time.Time
	// ZoneAssumed: the EXIF time came without OffsetTimeOriginal, so it was
	// read as China time (most cameras and many phones write no zone).
	ZoneAssumed bool
	Lat, Lng    float64
	HasGPS      bool
	Camera      string // "Canon EOS 40D", "Apple iPhone 6"
	// Make and Model as the camera wrote them (cleaned): Camera joins them.
	Make, Model string
}

// Bounds on what metadata parsing may read, so a hostile file cannot make it
// allocate without limit: a JPEG APP1 segment is at most 64 KiB anyway.
const (
	maxExifBlob   = 1 << 20 // a PNG eXIf / raw profile chunk
	maxTextChunk  = 4 << 20 // compressed text chunks inflate to at most this
	maxIFDs       = 8
	maxIFDEntries = 512
)

// ReadMeta reads the EXIF of a JPEG or PNG stream. It never fails: a missing
// or malformed EXIF block just yields no metadata (Orientation 1). It reads
// at most the headers of r, stopping at a JPEG's image data.
func ReadMeta(r io.Reader) (m Meta) {
	m.Orientation = 1
	defer func() {
		// go-exif reports some errors by panicking; a bad EXIF block must
		// never fail an import.
		if recover() != nil {
			m = Meta{Orientation: 1}
		}
	}()
	br := bufio.NewReader(r)
	head, _ := br.Peek(8)
	var blob []byte
	var xmpOrientation int
	switch {
	case bytes.HasPrefix(head, jpegMagic):
		blob = jpegExif(br)
	case bytes.HasPrefix(head, pngMagic):
		blob, xmpOrientation = pngExif(br)
	default:
		return m
	}
	if blob != nil {
		m = parseExif(blob)
	}
	if m.Orientation == 1 && xmpOrientation >= 1 && xmpOrientation <= 8 {
		m.Orientation = xmpOrientation
	}
	return m
}

var (
	jpegMagic  = []byte{0xff, 0xd8, 0xff}
	pngMagic   = []byte("\x89PNG\r\n\x1a\n")
	exifPrefix = []byte("Exif\x00\x00")
)

// jpegExif walks the JPEG markers up to the first scan and returns the TIFF
// block of the first APP1 segment that holds EXIF (XMP APP1s are skipped).
func jpegExif(br *bufio.Reader) []byte {
	if _, err := br.Discard(2); err != nil {
		return nil
	}
	for range 1000 { // a real JPEG has a few dozen segments before its scan
		b, err := br.ReadByte()
		if err != nil {
			return nil
		}
		if b != 0xff {
			continue // junk between segments; keep looking for a marker
		}
		marker, err := br.ReadByte()
		for err == nil && marker == 0xff { // fill bytes
			marker, err = br.ReadByte()
		}
		if err != nil {
			return nil
		}
		switch {
		case marker == 0xd8 || marker == 0x01 || marker >= 0xd0 && marker <= 0xd7:
			continue // no length
		case marker == 0xda || marker == 0xd9: // start of scan, end of image
			return nil
		}
		var lb [2]byte
		if _, err := io.ReadFull(br, lb[:]); err != nil {
			return nil
		}
		n := int(binary.BigEndian.Uint16(lb[:])) - 2
		if n < 0 {
			return nil
		}
		if marker != 0xe1 {
			if _, err := br.Discard(n); err != nil {
				return nil
			}
			continue
		}
		seg := make([]byte, n) // ≤ 64 KiB
		if _, err := io.ReadFull(br, seg); err != nil {
			return nil
		}
		if bytes.HasPrefix(seg, exifPrefix) {
			return seg[len(exifPrefix):]
		}
	}
	return nil
}

// pngExif returns the EXIF block of a PNG (an eXIf chunk, or ImageMagick's
// hex "Raw profile type exif" text chunk) and the XMP tiff:Orientation if
// any.
func pngExif(br *bufio.Reader) (blob []byte, xmpOrientation int) {
	if _, err := br.Discard(8); err != nil {
		return nil, 0
	}
	for range 10000 {
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return blob, xmpOrientation
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:8])
		want := blob == nil && (typ == "eXIf" || typ == "tEXt" || typ == "zTXt" || typ == "iTXt")
		if typ == "IEND" || n > math.MaxInt32 {
			return blob, xmpOrientation
		}
		if !want || n > maxExifBlob*2+1024 {
			if _, err := io.CopyN(io.Discard, br, n+4); err != nil {
				return blob, xmpOrientation
			}
			continue
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(br, data); err != nil {
			return blob, xmpOrientation
		}
		if _, err := br.Discard(4); err != nil { // CRC
			return blob, xmpOrientation
		}
		switch typ {
		case "eXIf":
			if len(data) <= maxExifBlob {
				blob = data
			}
		case "tEXt", "zTXt":
			blob = rawProfile(typ, data)
		case "iTXt":
			if o := xmpOrientationOf(data); o != 0 {
				xmpOrientation = o
			}
		}
	}
	return blob, xmpOrientation
}

// rawProfile decodes ImageMagick's "Raw profile type exif|APP1" chunk:
// "\nexif\n  <length>\n<hex lines>".
func rawProfile(typ string, data []byte) []byte {
	key, text, ok := bytes.Cut(data, []byte{0})
	if !ok {
		return nil
	}
	k := string(key)
	if k != "Raw profile type exif" && k != "Raw profile type APP1" {
		return nil
	}
	if typ == "zTXt" {
		if len(text) < 1 || text[0] != 0 {
			return nil
		}
		zr, err := zlib.NewReader(bytes.NewReader(text[1:]))
		if err != nil {
			return nil
		}
		text, err = io.ReadAll(io.LimitReader(zr, maxTextChunk))
		if err != nil {
			return nil
		}
	}
	lines := strings.Fields(string(text))
	if len(lines) < 3 {
		return nil
	}
	raw, err := hex.DecodeString(strings.Join(lines[2:], ""))
	if err != nil || len(raw) > maxExifBlob {
		return nil
	}
	return bytes.TrimPrefix(raw, exifPrefix)
}

var xmpOrientationRE = regexp.MustCompile(`tiff:Orientation(?:="|>)([1-8])`)

func xmpOrientationOf(data []byte) int {
	key, _, _ := bytes.Cut(data, []byte{0})
	if string(key) != "XML:com.adobe.xmp" {
		return 0
	}
	m := xmpOrientationRE.FindSubmatch(data)
	if m == nil {
		return 0
	}
	return int(m[1][0] - '0')
}

// EXIF tags we read.
const (
	tagMake               = 0x010f
	tagModel              = 0x0110
	tagOrientation        = 0x0112
	tagExifIFD            = 0x8769
	tagGPSIFD             = 0x8825
	tagDateTimeOriginal   = 0x9003
	tagOffsetTimeOriginal = 0x9011
	tagGPSLatitudeRef     = 0x0001
	tagGPSLatitude        = 0x0002
	tagGPSLongitudeRef    = 0x0003
	tagGPSLongitude       = 0x0004
)

// entry is one IFD entry whose value lies inside the blob.
type entry struct {
	vc  *exifcommon.ValueContext
	typ exifcommon.TagTypePrimitive
	n   uint32
	off uint32
}

// tiff walks a TIFF block with go-exif's header and value decoders. The walk
// itself is ours: it bounds IFD counts and value sizes and refuses cycles,
// which go-exif's Collect does not (an IFD loop would make it run forever).
type tiff struct {
	data  []byte
	order binary.ByteOrder
	seen  map[uint32]bool
}

func parseExif(blob []byte) Meta {
	m := Meta{Orientation: 1}
	eh, err := exif.ParseExifHeader(blob)
	if err != nil {
		return m
	}
	t := &tiff{data: blob, order: eh.ByteOrder, seen: map[uint32]bool{}}
	ifd0 := t.ifd(eh.FirstIfdOffset)
	if ifd0 == nil {
		return m
	}
	if e, ok := ifd0[tagOrientation]; ok && e.typ == exifcommon.TypeShort {
		if v, err := e.vc.ReadShorts(); err == nil && len(v) > 0 && v[0] >= 1 && v[0] <= 8 {
			m.Orientation = int(v[0])
		}
	}
	mk, model := t.ascii(ifd0, tagMake), t.ascii(ifd0, tagModel)
	if exifIFD := t.ifd(t.pointer(ifd0, tagExifIFD)); exifIFD != nil {
		m.TakenAt, m.ZoneAssumed = takenAt(t.ascii(exifIFD, tagDateTimeOriginal), t.ascii(exifIFD, tagOffsetTimeOriginal))
		// Some phones (HTC One M8) put Make/Model in the Exif IFD.
		if mk == "" && model == "" {
			mk, model = t.ascii(exifIFD, tagMake), t.ascii(exifIFD, tagModel)
		}
	}
	m.Make, m.Model, m.Camera = mk, model, camera(mk, model)
	if gps := t.ifd(t.pointer(ifd0, tagGPSIFD)); gps != nil {
		lat, okLat := t.degrees(gps, tagGPSLatitudeRef, tagGPSLatitude)
		lng, okLng := t.degrees(gps, tagGPSLongitudeRef, tagGPSLongitude)
		if okLat && okLng && math.Abs(lat) <= 90 && math.Abs(lng) <= 180 && (lat != 0 || lng != 0) {
			m.Lat, m.Lng, m.HasGPS = lat, lng, true
		}
	}
	return m
}

// ifd reads the IFD at off; nil if it is out of range, already seen or junk.
func (t *tiff) ifd(off uint32) map[uint16]entry {
	if off < 8 || int64(off)+2 > int64(len(t.data)) || t.seen[off] || len(t.seen) >= maxIFDs {
		return nil
	}
	t.seen[off] = true
	count := int(t.order.Uint16(t.data[off:]))
	if count == 0 || count > maxIFDEntries || int64(off)+2+int64(count)*12 > int64(len(t.data)) {
		return nil
	}
	out := make(map[uint16]entry, count)
	rs := bytes.NewReader(t.data)
	for i := range count {
		p := int(off) + 2 + i*12
		raw := t.data[p : p+12]
		tag := t.order.Uint16(raw[0:])
		typ := exifcommon.TagTypePrimitive(t.order.Uint16(raw[2:]))
		n := t.order.Uint32(raw[4:])
		size := typeSize(typ)
		if size == 0 || n == 0 || uint64(n)*uint64(size) > uint64(len(t.data)) {
			continue // unknown type or a count larger than the whole block
		}
		voff := t.order.Uint32(raw[8:])
		if uint64(n)*uint64(size) > 4 && uint64(voff)+uint64(n)*uint64(size) > uint64(len(t.data)) {
			continue
		}
		if _, dup := out[tag]; dup {
			continue
		}
		vc := exifcommon.NewValueContext("IFD", tag, n, voff, raw[8:12], rs, typ, t.order)
		out[tag] = entry{vc: vc, typ: typ, n: n, off: voff}
	}
	return out
}

func typeSize(t exifcommon.TagTypePrimitive) int {
	switch t {
	case exifcommon.TypeByte, exifcommon.TypeAscii, exifcommon.TypeUndefined:
		return 1
	case exifcommon.TypeShort:
		return 2
	case exifcommon.TypeLong, exifcommon.TypeSignedLong, exifcommon.TypeFloat:
		return 4
	case exifcommon.TypeRational, exifcommon.TypeSignedRational, exifcommon.TypeDouble:
		return 8
	}
	return 0
}

// pointer returns a sub-IFD offset stored as LONG (or the IFD type 13); 0
// for anything else (e.g. a pointer mistakenly stored as a string).
func (t *tiff) pointer(ifd map[uint16]entry, tag uint16) uint32 {
	e, ok := ifd[tag]
	if !ok || e.n != 1 || (e.typ != exifcommon.TypeLong && e.typ != 13) {
		return 0
	}
	return e.off
}

func (t *tiff) ascii(ifd map[uint16]entry, tag uint16) string {
	e, ok := ifd[tag]
	if !ok || e.typ != exifcommon.TypeAscii {
		return ""
	}
	s, err := e.vc.ReadAsciiNoNul()
	if err != nil {
		return ""
	}
	s, _, _ = strings.Cut(s, "\x00") // the value ends at the first NUL, whatever the count says
	return clean(s)
}

// clean keeps printable UTF-8 and trims padding.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r == 0 || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 100 {
		s = string([]rune(s)[:100])
	}
	return s
}

func camera(make, model string) string {
	switch {
	case make == "":
		return model
	case model == "":
		return make
	}
	first, _, _ := strings.Cut(make, " ")
	if strings.HasPrefix(strings.ToLower(model), strings.ToLower(first)) {
		return model // "Canon" + "Canon EOS 40D"
	}
	return make + " " + model
}

// takenAt parses DateTimeOriginal ("2006:01:02 15:04:05") in the offset of
// OffsetTimeOriginal or, when there is none (assumed true), in China time.
func takenAt(dt, offset string) (t time.Time, assumed bool) {
	if len(dt) < 19 {
		return time.Time{}, false
	}
	loc, assumed := streetdesk.ChinaTZ, true
	if o, err := time.Parse("-07:00", strings.TrimSpace(offset)); err == nil {
		_, secs := o.Zone()
		loc, assumed = time.FixedZone("", secs), false
	}
	t, err := time.ParseInLocation("2006:01:02 15:04:05", dt[:19], loc)
	if err != nil || t.Year() < 1900 {
		return time.Time{}, false
	}
	return t, assumed
}

// degrees reads a GPS coordinate: three RATIONALs (degrees, minutes,
// seconds) and an N/S/E/W reference, S and W negative. Some phones (HTC One
// M8) store the coordinate as ASCII "52,00000,50,00000,34,01180" with a
// decimal comma; we read that the way goexif does.
func (t *tiff) degrees(ifd map[uint16]entry, refTag, valTag uint16) (float64, bool) {
	ref := t.ascii(ifd, refTag)
	if ref == "" {
		return 0, false
	}
	r := ref[0]
	if r != 'N' && r != 'S' && r != 'E' && r != 'W' {
		return 0, false
	}
	e, ok := ifd[valTag]
	if !ok {
		return 0, false
	}
	var d exif.GpsDegrees
	switch e.typ {
	case exifcommon.TypeRational, exifcommon.TypeSignedRational:
		var v []exifcommon.Rational
		if e.typ == exifcommon.TypeRational {
			var err error
			if v, err = e.vc.ReadRationals(); err != nil {
				return 0, false
			}
		} else {
			// Some Android phones (Nokia 8.3 5G) write SRATIONAL; the
			// hemisphere is in the reference, so a negative part is junk.
			sv, err := e.vc.ReadSignedRationals()
			if err != nil {
				return 0, false
			}
			for _, x := range sv {
				if x.Numerator < 0 || x.Denominator < 0 {
					return 0, false
				}
				v = append(v, exifcommon.Rational{Numerator: uint32(x.Numerator), Denominator: uint32(x.Denominator)})
			}
		}
		if len(v) != 3 {
			return 0, false
		}
		for _, x := range v {
			if x.Denominator == 0 {
				return 0, false
			}
		}
		var err error
		if d, err = exif.NewGpsDegreesFromRationals(ref, v); err != nil {
			return 0, false
		}
	case exifcommon.TypeAscii:
		s := t.ascii(ifd, valTag)
		f, err := stringDegrees(s)
		if err != nil {
			return 0, false
		}
		d = exif.GpsDegrees{Orientation: r, Degrees: f[0], Minutes: f[1], Seconds: f[2]}
	default:
		return 0, false
	}
	if d.Minutes < 0 || d.Minutes >= 60 || d.Seconds < 0 || d.Seconds >= 60 {
		return 0, false
	}
	v := d.Decimal()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func stringDegrees(s string) ([3]float64, error) {
	var out [3]float64
	parts := strings.Split(s, ",")
	if len(parts) != 6 {
		return out, errors.New("want d,ddd,m,mmm,s,sss")
	}
	for i := range 3 {
		f, err := strconv.ParseFloat(parts[2*i]+"."+parts[2*i+1], 64)
		if err != nil {
			return out, fmt.Errorf("gps string: %w", err)
		}
		out[i] = f
	}
	return out, nil
}
