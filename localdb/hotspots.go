package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
)

// hotspotOrder is the part of an order's JSON the hotspot analysis reads:
// encoding/json skips the complaint, history and the rest without keeping
// them.
type hotspotOrder struct {
	ID           string              `json:"id"`
	Title        string              `json:"title"`
	Category     streetdesk.Category `json:"category"`
	Location     streetdesk.Location `json:"location"`
	Citizen      streetdesk.Citizen  `json:"citizen"`
	Status       streetdesk.Status   `json:"status"`
	AssigneeID   string              `json:"assigneeId"`
	AssigneeName string              `json:"assigneeName"`
	TeamID       string              `json:"teamId"`
	Version      int64               `json:"version"`
	Cycle        int                 `json:"cycle"`
	Rating       streetdesk.Rating   `json:"rating"`
	DispatchedAt time.Time           `json:"dispatchedAt"`
	UpdatedAt    time.Time           `json:"updatedAt"`
}

// OrdersSince returns the orders dispatched at or after since that are in
// the user's view (not revoked), with the fields the hotspot analysis reads:
// ID, Title, Category, Location, Citizen, Status, AssigneeID, AssigneeName,
// TeamID, Version, Cycle, Rating, DispatchedAt and UpdatedAt. They are the
// platform's view: place, category and citizen are the platform's fields,
// which no pending local intent changes. The order is unspecified.
func (db *DB) OrdersSince(ctx context.Context, since time.Time) ([]streetdesk.WorkOrder, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT d.data FROM work_orders w JOIN work_order_data d ON d.qid = w.qid
		WHERE w.dispatched_at >= ? AND w.access = 'assigned'`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("orders since: %w", err)
	}
	defer rows.Close()
	var out []streetdesk.WorkOrder
	var data sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("orders since: %w", err)
		}
		w, err := decodeHotspot(data)
		if err != nil {
			return nil, fmt.Errorf("orders since: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("orders since: %w", err)
	}
	return out, nil
}

// decodeHotspot reads the hotspot fields of one stored order with the
// statistics' scanner (statscan.go): the complaint and the history, most of
// the bytes, are skipped without decoding, ten times faster than
// encoding/json on the whole order. Anything unexpected falls back to
// encoding/json.
func decodeHotspot(data []byte) (streetdesk.WorkOrder, error) {
	sc := statsScanner{b: data}
	if w, err := sc.hotspotOrder(); err == nil {
		return w, nil
	}
	var h hotspotOrder
	if err := json.Unmarshal(data, &h); err != nil {
		return streetdesk.WorkOrder{}, fmt.Errorf("decode order: %w", err)
	}
	return streetdesk.WorkOrder{ID: h.ID, Title: h.Title, Category: h.Category, Location: h.Location,
		Citizen: h.Citizen, Status: h.Status, AssigneeID: h.AssigneeID, AssigneeName: h.AssigneeName, TeamID: h.TeamID,
		Version: h.Version, Cycle: h.Cycle, Rating: h.Rating, DispatchedAt: h.DispatchedAt, UpdatedAt: h.UpdatedAt}, nil
}

// float consumes a number.
func (s *statsScanner) float() (float64, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) && strings.IndexByte("+-.eE0123456789", s.b[s.i]) >= 0 {
		s.i++
	}
	f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
	if err != nil {
		return 0, errScan
	}
	return f, nil
}

// strings reads an object's string fields keys[i] into ptrs[i], skipping
// the others.
func (s *statsScanner) strings(keys []string, ptrs ...*string) error {
	return s.object(func(key []byte) error {
		for i, k := range keys {
			if string(key) == k {
				v, err := s.str()
				*ptrs[i] = v
				return err
			}
		}
		return s.skip()
	})
}

var (
	categoryKeys = []string{"l1Code", "l1Name", "l2Code", "l2Name", "l3Code", "l3Name", "department"}
	citizenKeys  = []string{"name", "phone"}
)

func (s *statsScanner) hotspotOrder() (streetdesk.WorkOrder, error) {
	var w streetdesk.WorkOrder
	c, l := &w.Category, &w.Location
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "id":
			w.ID, err = s.str()
		case "title":
			w.Title, err = s.str()
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
		case "rating":
			var v string
			v, err = s.str()
			w.Rating = streetdesk.Rating(v)
		case "version":
			var n int
			n, err = s.int()
			w.Version = int64(n)
		case "cycle":
			w.Cycle, err = s.int()
		case "dispatchedAt":
			w.DispatchedAt, err = s.time()
		case "updatedAt":
			w.UpdatedAt, err = s.time()
		case "category":
			err = s.strings(categoryKeys, &c.L1Code, &c.L1Name, &c.L2Code, &c.L2Name, &c.L3Code, &c.L3Name, &c.Department)
		case "citizen":
			err = s.strings(citizenKeys, &w.Citizen.Name, &w.Citizen.Phone)
		case "location":
			err = s.object(func(key []byte) error {
				var err error
				switch string(key) {
				case "district":
					l.District, err = s.str()
				case "streetOffice":
					l.StreetOffice, err = s.str()
				case "community":
					l.Community, err = s.str()
				case "address":
					l.Address, err = s.str()
				case "lat":
					l.Lat, err = s.float()
				case "lng":
					l.Lng, err = s.float()
				default:
					err = s.skip()
				}
				return err
			})
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
