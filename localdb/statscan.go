package localdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/streetdesk/streetdesk"
)

// decodeStats reads the statistics' fields of one stored order. The stored
// JSON is what json.Marshal made of a WorkOrder (pull.go), so a small
// scanner that picks the wanted keys and skips every other value (the
// complaint, location and event texts are most of the bytes) does in one pass
// what encoding/json does in two (validation, then reflection). Anything the
// scanner does not expect falls back to encoding/json.
func decodeStats(data []byte) (streetdesk.WorkOrder, error) {
	sc := statsScanner{b: data}
	w, err := sc.order()
	if err == nil {
		return w, nil
	}
	var s statsOrder
	if err := json.Unmarshal(data, &s); err != nil {
		return streetdesk.WorkOrder{}, fmt.Errorf("decode order: %w", err)
	}
	return s.order(), nil
}

var errScan = errors.New("unexpected json")

type statsScanner struct {
	b []byte
	i int
}

func (s *statsScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// expect consumes c after optional white space.
func (s *statsScanner) expect(c byte) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != c {
		return errScan
	}
	s.i++
	return nil
}

// peek returns the next byte after white space, or 0 at the end.
func (s *statsScanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// rawString consumes a string and returns its bytes between the quotes and
// whether they hold an escape.
func (s *statsScanner) rawString() ([]byte, bool, error) {
	if err := s.expect('"'); err != nil {
		return nil, false, err
	}
	start, esc := s.i, false
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			return nil, false, errScan
		}
		end := s.i + j
		// The quote is escaped when an odd number of backslashes precede it.
		k := end
		for k > start && s.b[k-1] == '\\' {
			k--
		}
		if k < end {
			esc = true
		}
		s.i = end + 1
		if (end-k)%2 == 0 {
			if !esc && bytes.IndexByte(s.b[start:end], '\\') >= 0 {
				esc = true
			}
			return s.b[start:end], esc, nil
		}
	}
}

// str consumes a string (or null) and returns its value.
func (s *statsScanner) str() (string, error) {
	if s.peek() == 'n' {
		return "", s.null()
	}
	start := s.i
	raw, esc, err := s.rawString()
	if err != nil {
		return "", err
	}
	if !esc {
		return string(raw), nil
	}
	var v string
	if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
		return "", errScan
	}
	return v, nil
}

func (s *statsScanner) null() error {
	if !bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		return errScan
	}
	s.i += 4
	return nil
}

// time consumes an RFC 3339 string, as time.Time marshals, or null.
func (s *statsScanner) time() (time.Time, error) {
	if s.peek() == 'n' {
		return time.Time{}, s.null()
	}
	raw, esc, err := s.rawString()
	if err != nil || esc {
		return time.Time{}, errScan
	}
	t, err := time.Parse(time.RFC3339, string(raw))
	if err != nil {
		return time.Time{}, errScan
	}
	return t, nil
}

// int consumes an integer.
func (s *statsScanner) int() (int, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
		s.i++
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	if err != nil {
		return 0, errScan
	}
	return n, nil
}

// skip consumes any one value.
func (s *statsScanner) skip() error {
	switch s.peek() {
	case '"':
		_, _, err := s.rawString()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, _, err := s.rawString(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errScan
	case 0:
		return errScan
	default: // number, true, false, null
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if s.i == start {
					return errScan
				}
				return nil
			}
			s.i++
		}
		return errScan
	}
}

// object consumes an object (or null), calling field for each key with the
// scanner at the key's value; field must consume the value.
func (s *statsScanner) object(field func(key []byte) error) error {
	if s.peek() == 'n' {
		return s.null()
	}
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		key, esc, err := s.rawString()
		if err != nil || esc {
			return errScan
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errScan
		}
	}
}

func (s *statsScanner) order() (streetdesk.WorkOrder, error) {
	var w streetdesk.WorkOrder
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "id":
			w.ID, err = s.str()
		case "title":
			w.Title, err = s.str()
		case "urgency":
			var v string
			v, err = s.str()
			w.Urgency = streetdesk.Urgency(v)
		case "status":
			var v string
			v, err = s.str()
			w.Status = streetdesk.Status(v)
		case "assigneeId":
			w.AssigneeID, err = s.str()
		case "assigneeName":
			w.AssigneeName, err = s.str()
		case "teamId":
			w.TeamID, err = s.str()
		case "cycle":
			w.Cycle, err = s.int()
		case "rating":
			var v string
			v, err = s.str()
			w.Rating = streetdesk.Rating(v)
		case "dispatchedAt":
			w.DispatchedAt, err = s.time()
		case "acceptedAt":
			w.AcceptedAt, err = s.time()
		case "updatedAt":
			w.UpdatedAt, err = s.time()
		case "deadlines":
			err = s.object(func(key []byte) error {
				var err error
				switch string(key) {
				case "acceptBy":
					w.Deadlines.AcceptBy, err = s.time()
				case "resolveBy":
					w.Deadlines.ResolveBy, err = s.time()
				default:
					err = s.skip()
				}
				return err
			})
		case "history":
			w.History, err = s.history()
		default:
			err = s.skip()
		}
		return err
	})
	if err != nil {
		return w, err
	}
	if s.peek() != 0 {
		return w, errScan
	}
	return w, nil
}

func (s *statsScanner) history() ([]streetdesk.Event, error) {
	if s.peek() == 'n' {
		return nil, s.null()
	}
	if err := s.expect('['); err != nil {
		return nil, err
	}
	out := []streetdesk.Event{}
	if s.peek() == ']' {
		s.i++
		return out, nil
	}
	for {
		var e streetdesk.Event
		err := s.object(func(key []byte) error {
			var err error
			switch string(key) {
			case "at":
				e.At, err = s.time()
			case "kind":
				e.Kind, err = s.str()
			case "cycle":
				e.Cycle, err = s.int()
			default:
				err = s.skip()
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, nil
		default:
			return nil, errScan
		}
	}
}
