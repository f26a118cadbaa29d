package platform

import "context"

// SchemaVersion returns the highest migration applied to the database.
func (s *Server) SchemaVersion(ctx context.Context) (int, error) {
	return s.db.SchemaVersion(ctx)
}
