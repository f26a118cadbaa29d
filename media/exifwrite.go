package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
)

// uploadExif builds the EXIF (a TIFF block) of an upload copy from what
// the original's EXIF said: its camera, capture time (with its offset when
// the camera wrote one) and place, and orientation 1, since the copy's
// pixels are upright. It is made anew from the values ReadMeta accepted
// rather than copied, so a malformed block, a maker note or a thumbnail of
// the original (turned the old way) never reaches the platform. nil when
// the original said none of these (a photo without EXIF stays without).
func uploadExif(m Meta) (blob []byte, err error) {
	if m.Make == "" && m.Model == "" && m.TakenAt.IsZero() && !m.HasGPS {
		return nil, nil
	}
	defer func() {
		// go-exif reports some errors by panicking.
		if r := recover(); r != nil {
			blob, err = nil, fmt.Errorf("build exif: %v", r)
		}
	}()
	im, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return nil, fmt.Errorf("build exif: %w", err)
	}
	root := exif.NewIfdBuilder(im, exif.NewTagIndex(), exifcommon.IfdStandardIfdIdentity, binary.BigEndian)
	b := exifBuilder{root: root}
	b.add(root, tagMake, m.Make, m.Make != "")
	b.add(root, tagModel, m.Model, m.Model != "")
	b.add(root, tagOrientation, []uint16{1}, true)
	if !m.TakenAt.IsZero() {
		ifd := b.child("IFD/Exif")
		// In the zone it was read in: the camera's offset, or China time
		// when it wrote none (and then none is written, so a reader
		// assumes the same).
		b.add(ifd, tagDateTimeOriginal, m.TakenAt.Format("2006:01:02 15:04:05"), true)
		b.add(ifd, tagOffsetTimeOriginal, m.TakenAt.Format("-07:00"), !m.ZoneAssumed)
	}
	if m.HasGPS {
		ifd := b.child("IFD/GPSInfo")
		b.add(ifd, tagGPSVersionID, []uint8{2, 2, 0, 0}, true)
		b.add(ifd, tagGPSLatitudeRef, hemisphere(m.Lat, "N", "S"), true)
		b.add(ifd, tagGPSLatitude, gpsRationals(m.Lat), true)
		b.add(ifd, tagGPSLongitudeRef, hemisphere(m.Lng, "E", "W"), true)
		b.add(ifd, tagGPSLongitude, gpsRationals(m.Lng), true)
	}
	if b.err != nil {
		return nil, fmt.Errorf("build exif: %w", b.err)
	}
	blob, err = exif.NewIfdByteEncoder().EncodeToExif(root)
	if err != nil {
		return nil, fmt.Errorf("build exif: %w", err)
	}
	return blob, nil
}

const tagGPSVersionID = 0x0000

// exifBuilder keeps the first error of a run of go-exif builder calls.
type exifBuilder struct {
	root *exif.IfdBuilder
	err  error
}

func (b *exifBuilder) add(ib *exif.IfdBuilder, tag uint16, v any, when bool) {
	if b.err == nil && ib != nil && when {
		b.err = ib.AddStandard(tag, v)
	}
}

func (b *exifBuilder) child(path string) *exif.IfdBuilder {
	if b.err != nil {
		return nil
	}
	ib, err := exif.GetOrCreateIbFromRootIb(b.root, path)
	b.err = err
	return ib
}

func hemisphere(v float64, pos, neg string) string {
	if v < 0 {
		return neg
	}
	return pos
}

// gpsRationals writes |v| as whole degrees and minutes to 1e-7 (a
// millimetre or so), seconds 0: a form EXIF readers take, and one that
// reads back to within 2e-9 of v.
func gpsRationals(v float64) []exifcommon.Rational {
	const den = 10_000_000
	a := math.Abs(v)
	deg := math.Floor(a)
	mins := uint32(math.Round((a - deg) * 60 * den))
	if mins >= 60*den { // rounded up to a whole degree
		deg, mins = deg+1, 0
	}
	return []exifcommon.Rational{{Numerator: uint32(deg), Denominator: 1}, {Numerator: mins, Denominator: den}, {Numerator: 0, Denominator: 1}}
}

// exifJPEGWriter puts an APP1 Exif segment right after the start-of-image
// marker of the JPEG written through it: it writes the marker and the
// segment first, then drops the encoder's own marker.
type exifJPEGWriter struct {
	w    io.Writer
	skip int
}

func newExifJPEGWriter(w io.Writer, tiff []byte) (*exifJPEGWriter, error) {
	n := 2 + len(exifPrefix) + len(tiff)
	if n > math.MaxUint16 {
		return nil, fmt.Errorf("exif block of %d bytes does not fit a JPEG segment", len(tiff))
	}
	seg := make([]byte, 0, 4+n)
	seg = append(seg, 0xff, 0xd8, 0xff, 0xe1, byte(n>>8), byte(n))
	seg = append(seg, exifPrefix...)
	seg = append(seg, tiff...)
	if _, err := w.Write(seg); err != nil {
		return nil, err
	}
	return &exifJPEGWriter{w: w, skip: 2}, nil
}

func (e *exifJPEGWriter) Write(p []byte) (int, error) {
	k := min(e.skip, len(p))
	e.skip -= k
	n, err := e.w.Write(p[k:])
	return n + k, err
}
