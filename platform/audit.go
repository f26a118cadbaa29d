package platform

import (
	"context"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// platformFeatures is the JSON list of protocol features every pull page
// announces (streetdesk.PullResponse.Features).
const platformFeatures = `["` + streetdesk.FeatureEvidenceChecks + `"]`

// orderFlags lists the action-log flags about an order.
func (s *Server) orderFlags(ctx context.Context, r store.Reader, orderID string) ([]streetdesk.AuditFlag, error) {
	return []streetdesk.AuditFlag{}, nil
}
