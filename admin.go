package streetdesk

// Shapes of the platform's online (non-sync) endpoints that the sync
// protocol does not already define: the centre's order listing, team
// settings and the reassign endpoint's answer (docs/protocol.md).

// CodeServerError is the result code of a mutation the platform could not
// process at all (a permanent server-side failure). Like every rejection it
// is marked processed so the queue moves on.
const CodeServerError ResultCode = "SERVER_ERROR"

// OrderList is a page of GET /v1/centre/orders.
type OrderList struct {
	Orders []WorkOrder `json:"orders"`
	Total  int         `json:"total"`
}

// TeamSettings is the body of PUT /v1/team/settings.
type TeamSettings struct {
	ReviewResolutions bool `json:"reviewResolutions"`
}

// ReassignResponse answers POST /v1/team/reassign: one result per order, in
// the shape of a push result (applied, or rejected/conflict with a code).
type ReassignResponse struct {
	Results []MutationResult `json:"results"`
}
