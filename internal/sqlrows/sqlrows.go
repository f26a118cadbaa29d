// Package sqlrows reads database/sql results with every error checked: the
// query's, each Scan's, the iteration's (rows.Err, which a loop over
// rows.Next alone never sees) and Close's.
package sqlrows

import (
	"database/sql"
	"errors"
)

// Column returns the single column of every row as a T. The query's two
// results go straight in:
//
//	ids, err := sqlrows.Column[string](tx.QueryContext(ctx, "SELECT id FROM …"))
func Column[T any](rows *sql.Rows, err error) ([]T, error) {
	var out []T
	err = Each(rows, err, func(r *sql.Rows) error {
		var v T
		if err := r.Scan(&v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each calls scan for every row, then closes rows. It returns the first
// error of the query (err), of scan, of the iteration or of Close; after an
// error it stops and scan is not called again.
func Each(rows *sql.Rows, err error, scan func(*sql.Rows) error) error {
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := scan(rows); err != nil {
			return errors.Join(err, rows.Close())
		}
	}
	return errors.Join(rows.Err(), rows.Close())
}
