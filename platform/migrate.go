package platform

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/migrate"
)

// The platform's schema is a set of numbered migrations per database: the
// SQLite store's live in migrations/sqlite. A store on another database keeps
// its own set in a directory beside it, with that database's dialect; the
// numbering of each set is its own.
//
//go:embed migrations/sqlite/*.sql
var sqliteMigrationFS embed.FS

var sqliteMigrations = migrate.Set{FS: sqliteMigrationFS, Dir: "migrations/sqlite", Dialect: migrate.SQLite}

// SQLiteMigrations returns the number of migrations of the SQLite store.
func SQLiteMigrations() int { return sqliteMigrations.Len() }

// migrateSQLite brings the SQLite database up to date.
func (s *Server) migrateSQLite(ctx context.Context, db *sql.DB) error {
	_, err := sqliteMigrations.Up(ctx, db, migrate.Options{Now: s.cfg.Now, Logger: s.log})
	var tooNew *migrate.TooNewError
	if errors.As(err, &tooNew) {
		return streetdesk.Errorf(streetdesk.EINVALID, "platform: the database is from a newer platformd (schema %d, this program knows %d)", tooNew.Have, tooNew.Know)
	}
	if err != nil {
		return fmt.Errorf("platform: schema: %w", err)
	}
	return nil
}

// SchemaVersion returns the highest migration applied to the database.
func (s *Server) SchemaVersion(ctx context.Context) (int, error) {
	return migrate.Version(ctx, s.rdb)
}
