package streetdesk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): the shapes
// the platform writes under /open311/v2/ and the reader that imports other
// cities' captures. One reader serves both, so what reads San Francisco's
// XML and Bloomington's JSON also reads ours.

// Open311Request is one service request as the spec names its fields.
// Decoding tolerates what real servers send: numbers where the spec says
// strings, null, xsi:nil, capitalised statuses and times without a zone
// (see Open311Time).
type Open311Request struct {
	XMLName           xml.Name      `json:"-" xml:"request"`
	ServiceRequestID  Open311Text   `json:"service_request_id,omitempty" xml:"service_request_id,omitempty"`
	Token             Open311Text   `json:"token,omitempty" xml:"token,omitempty"`
	Status            string        `json:"status,omitempty" xml:"status,omitempty"`
	StatusNotes       string        `json:"status_notes" xml:"status_notes"`
	ServiceName       string        `json:"service_name" xml:"service_name"`
	ServiceCode       Open311Text   `json:"service_code" xml:"service_code"`
	Description       string        `json:"description" xml:"description"`
	AgencyResponsible string        `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string        `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string        `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string        `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string        `json:"expected_datetime" xml:"expected_datetime"`
	Address           string        `json:"address" xml:"address"`
	AddressID         Open311Text   `json:"address_id" xml:"address_id"`
	Zipcode           Open311Text   `json:"zipcode" xml:"zipcode"`
	Lat               Open311Number `json:"lat,omitzero" xml:"lat"`
	Long              Open311Number `json:"long,omitzero" xml:"long"`
	MediaURL          string        `json:"media_url,omitempty" xml:"media_url,omitempty"`
}

// Open311Closed reports whether a status means closed; anything else that
// is not "open" (either case) is unknown.
func Open311Closed(status string) (closed, known bool) {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "open":
		return false, true
	case "closed":
		return true, true
	}
	return false, false
}

// Open311Service is one service of the services list.
type Open311Service struct {
	XMLName     xml.Name    `json:"-" xml:"service"`
	ServiceCode Open311Text `json:"service_code" xml:"service_code"`
	ServiceName string      `json:"service_name" xml:"service_name"`
	Description string      `json:"description" xml:"description"`
	Metadata    bool        `json:"metadata" xml:"metadata"`
	Type        string      `json:"type" xml:"type"`
	Keywords    string      `json:"keywords" xml:"keywords"`
	Group       string      `json:"group" xml:"group"`
}

// Open311Error is one entry of the spec's error array.
type Open311Error struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

// Open311Text is text that servers sometimes send as a number (San
// Francisco's ids, the spec's own example service_code 006) or null.
type Open311Text string

// UnmarshalJSON accepts a string, a number, a boolean or null (empty).
func (t *Open311Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Open311Text(s)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9' || b[0] == 't' || b[0] == 'f'):
		*t = Open311Text(b)
	default:
		return fmt.Errorf("open311: want text, got %.20s", b)
	}
	return nil
}

// Open311Number is a coordinate: a number, a numeric string, null or
// empty. Valid is false when absent or unreadable; 0 is kept as a value
// (San Francisco writes 0.0 for "no place"; the importer decides).
type Open311Number struct {
	Value float64
	Valid bool
}

// Num returns a valid number.
func Num(v float64) Open311Number { return Open311Number{Value: v, Valid: true} }

// IsZero makes omitzero leave an absent number out.
func (n Open311Number) IsZero() bool { return !n.Valid }

func (n Open311Number) text() string { return strconv.FormatFloat(n.Value, 'f', -1, 64) }

func (n *Open311Number) parse(s string) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	*n = Open311Number{Value: v, Valid: err == nil && v == v} // NaN is not a place
}

// MarshalJSON writes a number (null when absent).
func (n Open311Number) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return []byte(n.text()), nil
}

// UnmarshalJSON accepts a number, a numeric string or null.
func (n *Open311Number) UnmarshalJSON(b []byte) error {
	var t Open311Text
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	n.parse(string(t))
	return nil
}

// MarshalXML writes the element only when the number is there.
func (n Open311Number) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if !n.Valid {
		return nil
	}
	return e.EncodeElement(n.text(), start)
}

// UnmarshalXML reads the element's text; empty or xsi:nil is absent.
func (n *Open311Number) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	n.parse(s)
	return nil
}

// Open311TimeLayout is how the platform writes times: ISO 8601 with the
// offset, as the spec asks.
const Open311TimeLayout = time.RFC3339

// ParseOpen311Time reads a time as servers write it: W3C/RFC 3339 with an
// offset, or without a zone ("2012-05-22 23:57:23.97", San Francisco),
// which is then taken in zoneless. Empty text is the zero time.
func ParseOpen311Time(s string, zoneless *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	for _, l := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, zoneless); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("open311: unreadable time %q", s)
}

// Open311Record is a request read from a document, with where it stands:
// its position (1-based) and the line it starts on. Err is set when the
// record could not be read; it is kept so the caller reports it.
type Open311Record struct {
	Open311Request
	Index, Line int
	Err         error
}

// maxOpen311Doc bounds a document read whole (the captures are kilobytes).
const maxOpen311Doc = 64 << 20

// DecodeOpen311Requests reads a GeoReport v2 requests document, JSON (an
// array) or XML (<service_requests>), as the first character says. A
// syntax error stops the reading (with its line); a JSON record of the
// wrong shape is returned with its Err. An error answer (the spec's
// <errors> or [{"code","description"}]) is an error naming its entries.
func DecodeOpen311Requests(r io.Reader) ([]Open311Record, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxOpen311Doc+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxOpen311Doc {
		return nil, Errorf(EINVALID, "open311: document larger than %d bytes", maxOpen311Doc)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	switch firstByte(data) {
	case '[':
		return decodeOpen311JSON(data)
	case '<':
		return decodeOpen311XML(data)
	}
	return nil, Errorf(EINVALID, "open311: neither a JSON array nor XML")
}

func firstByte(b []byte) byte {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c
		}
	}
	return 0
}

// open311Line is the 1-based line of byte offset off.
func open311Line(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func decodeOpen311JSON(data []byte) ([]Open311Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, Errorf(EINVALID, "open311: line 1: %v", err)
	}
	var out []Open311Record
	for dec.More() {
		// The record starts at the next value after the separator.
		off := dec.InputOffset()
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
			off++
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				off = se.Offset
			}
			return out, Errorf(EINVALID, "open311: line %d: %v", open311Line(data, off), err)
		}
		rec := Open311Record{Index: len(out) + 1, Line: open311Line(data, off)}
		if err := json.Unmarshal(raw, &rec.Open311Request); err != nil {
			rec.Err = err
		} else if e, ok := open311ErrorEntry(raw); ok {
			return nil, Errorf(EINVALID, "open311: the document is an error answer: %d %s", e.Code, e.Description)
		}
		out = append(out, rec)
	}
	return out, nil
}

// open311ErrorEntry recognises an entry of an error array: code and
// description, nothing of a request.
func open311ErrorEntry(raw []byte) (Open311Error, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) != 2 || m["code"] == nil || m["description"] == nil {
		return Open311Error{}, false
	}
	var e Open311Error
	return e, json.Unmarshal(raw, &e) == nil
}

func decodeOpen311XML(data []byte) ([]Open311Record, error) {
	dec := xml.NewDecoder(bufio.NewReader(bytes.NewReader(data)))
	var out []Open311Record
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := dec.InputPos()
		if err != nil {
			return out, Errorf(EINVALID, "open311: line %d: %v", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && t.Name.Local == "errors" {
				var doc struct {
					Errors []Open311Error `xml:"error"`
				}
				if err := dec.DecodeElement(&doc, &t); err != nil || len(doc.Errors) == 0 {
					return nil, Errorf(EINVALID, "open311: the document is an error answer")
				}
				return nil, Errorf(EINVALID, "open311: the document is an error answer: %d %s", doc.Errors[0].Code, doc.Errors[0].Description)
			}
			if depth == 2 && t.Name.Local == "request" {
				rec := Open311Record{Index: len(out) + 1, Line: line}
				if err := dec.DecodeElement(&rec.Open311Request, &t); err != nil {
					line, _ := dec.InputPos()
					return out, Errorf(EINVALID, "open311: line %d: %v", line, err)
				}
				depth--
				out = append(out, rec)
			}
		case xml.EndElement:
			depth--
		}
	}
}

// DecodeOpen311Services reads a services list, JSON or XML.
func DecodeOpen311Services(r io.Reader) ([]Open311Service, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxOpen311Doc+1))
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var out []Open311Service
	switch firstByte(data) {
	case '[':
		err = json.Unmarshal(data, &out)
	case '<':
		var doc struct {
			Services []Open311Service `xml:"service"`
		}
		err = xml.Unmarshal(data, &doc)
		out = doc.Services
	default:
		err = errors.New("neither a JSON array nor XML")
	}
	if err != nil {
		return nil, Errorf(EINVALID, "open311 services: %v", err)
	}
	return out, nil
}

// Open311Intake is a request a channel submitted through Open311 (POST
// requests), waiting in the centre's intake queue until a dispatcher
// dispatches it as an order (DispatchRequest.IntakeToken sets OrderID).
// The citizen's contact is the dispatcher's only: Open311 never shows it.
type Open311Intake struct {
	Token        string    `json:"token"`
	Channel      Channel   `json:"channel"`     // the api_key's
	KeyName      string    `json:"keyName"`     // who holds the api_key
	ServiceCode  string    `json:"serviceCode"` // a level-3 code
	Description  string    `json:"description"`
	Lat          float64   `json:"lat,omitempty"` // none: 0,0
	Lng          float64   `json:"lng,omitempty"`
	Address      string    `json:"address,omitempty"`
	CitizenName  string    `json:"citizenName,omitempty"`
	CitizenPhone string    `json:"citizenPhone,omitempty"`
	Email        string    `json:"email,omitempty"`
	MediaURL     string    `json:"mediaUrl,omitempty"`
	ReceivedAt   time.Time `json:"receivedAt"`
	OrderID      string    `json:"orderId,omitempty"` // set once dispatched
}

// IntakeQueue is the answer of GET /v1/centre/intake: the requests not yet
// dispatched, oldest first.
type IntakeQueue struct {
	Requests []Open311Intake `json:"requests"`
}
