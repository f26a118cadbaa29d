package streetdesk

import (
	"slices"
	"strings"
	"time"
)

// OrderKind says what a work order is: a citizen's request (the zero value)
// or a big-data event order (大数据事件工单) the centre made from a group of
// recurring complaints.
type OrderKind string

// Order kinds.
const (
	OrderKindRequest OrderKind = ""      // a citizen's request
	OrderKindEvent   OrderKind = "event" // 大数据事件: one fix at the source for its members
)

// IsEvent reports whether the order is a big-data event order.
func (w *WorkOrder) IsEvent() bool { return w.Kind == OrderKindEvent }

// EventResolution is the accepted resolution of the big-data event an order
// belongs to, as the platform gives it to the event's members
// (WorkOrder.EventResolution): the member's own reply may cite it. Each
// member still gets its own reply and callback.
type EventResolution struct {
	EventID    string    `json:"eventId"`
	Cycle      int       `json:"cycle"` // the event's round it resolved
	Outcome    Outcome   `json:"outcome"`
	Reply      string    `json:"reply"` // the event's public reply
	ResolvedAt time.Time `json:"resolvedAt"`
}

// Cite is the reply a member's resolution starts from when it cites its
// event's resolution: head (the words naming the event, from
// ui/translation's CiteEvent: 参照大数据事件 ID 的处理结果：) and the event's
// reply, cut to fit MaxReplyRunes. The caseworker edits it before sending.
func (e *EventResolution) Cite(head string) string {
	reply := []rune(strings.TrimSpace(e.Reply))
	if room := MaxReplyRunes - len([]rune(head)); len(reply) > room {
		reply = append(reply[:max(room-1, 0)], '…')
	}
	return head + string(reply)
}

// Limits of event orders and proposals.
const (
	MinEventMembers    = 2   // an event joins at least two orders
	MaxEventMembers    = 500 // and at most this many
	MaxEventTitleRunes = 200
	MaxDepartmentRunes = 100
	// DefaultEventWorkdays is an event order's time to resolve when the
	// dispatcher sets none: a source fix is 疑难 (complex) work.
	DefaultEventWorkdays = 15
)

// LinkEvent makes the order a member of event eventID (并案). It returns
// the history entry to record, or nil when the order is already a member.
// The member keeps its state: it still needs its own reply and callback.
func (w *WorkOrder) LinkEvent(eventID, title string, by User, at time.Time) *Event {
	if w.EventID == eventID {
		return nil
	}
	w.EventID = eventID
	w.UpdatedAt = at
	return &Event{At: at, Actor: by.Name, Kind: TimelineLinkEvent, Text: strings.TrimSpace(eventID + " " + title), Cycle: w.Cycle}
}

// TimelineLinkEvent is the history kind of LinkEvent.
const TimelineLinkEvent = "linkEvent"

// ProposeEventArgs are the arguments of proposeEvent: a lead asks the
// centre to turn orders of the team into one event order. The mutation's
// order is one of the members.
type ProposeEventArgs struct {
	ProposalID string   `json:"proposalId"` // client UUIDv7
	Title      string   `json:"title"`
	Reason     string   `json:"reason"`
	Department string   `json:"department,omitempty"` // suggested responsible department
	MemberIDs  []string `json:"memberIds"`
	// HotspotID names the hotspot the lead proposed it from (informational).
	HotspotID string `json:"hotspotId,omitempty"`
}

func (a *ProposeEventArgs) validate() error {
	if !validUUID(a.ProposalID) {
		return Errorf(EINVALID, "proposalId is not a UUID")
	}
	if err := CheckText("event title", a.Title, 1, MaxEventTitleRunes); err != nil {
		return err
	}
	if err := CheckText("event reason", a.Reason, 1, MaxReasonRunes); err != nil {
		return err
	}
	if err := CheckText("department", a.Department, 0, MaxDepartmentRunes); err != nil {
		return err
	}
	if len(a.HotspotID) > 2*MaxOrderIDLength+1 {
		return Errorf(EINVALID, "hotspotId is too long")
	}
	return CheckEventMembers(a.MemberIDs)
}

// CheckEventMembers checks a list of member order ids: valid ids, no
// repeats, MinEventMembers to MaxEventMembers of them.
func CheckEventMembers(ids []string) error {
	if len(ids) < MinEventMembers {
		return Errorf(EINVALID, "an event needs at least %d member orders (got %d)", MinEventMembers, len(ids))
	}
	if len(ids) > MaxEventMembers {
		return tooLarge("an event has at most %d member orders (got %d)", MaxEventMembers, len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !ValidOrderID(id) {
			return Errorf(EINVALID, "member order id %q is not valid", id)
		}
		if seen[id] {
			return Errorf(EINVALID, "member order %s is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// ProposalState is where a lead's event proposal stands.
type ProposalState string

// Proposal states.
const (
	ProposalPending  ProposalState = "pending"  // waiting for the dispatcher
	ProposalAccepted ProposalState = "accepted" // an event order was made
	ProposalDeclined ProposalState = "declined" // with the dispatcher's reason
)

// EventProposal is a lead's proposal as the platform keeps it for the
// dispatcher.
type EventProposal struct {
	ID           string        `json:"id"`
	Title        string        `json:"title"`
	Reason       string        `json:"reason"`
	Department   string        `json:"department,omitempty"`
	MemberIDs    []string      `json:"memberIds"`
	HotspotID    string        `json:"hotspotId,omitempty"`
	TeamID       string        `json:"teamId"`
	ProposerID   string        `json:"proposerId"`
	ProposerName string        `json:"proposerName"`
	State        ProposalState `json:"state"`
	CreatedAt    time.Time     `json:"createdAt"`
	DecidedAt    time.Time     `json:"decidedAt,omitzero"`
	DecidedBy    string        `json:"decidedBy,omitempty"`
	// DeclineReason is the dispatcher's reason for declining.
	DeclineReason string `json:"declineReason,omitempty"`
	// EventID is the event order made on accepting.
	EventID string `json:"eventId,omitempty"`
}

// ProposalList is the body of GET /v1/centre/proposals.
type ProposalList struct {
	Proposals []EventProposal `json:"proposals"`
}

// CreateEventRequest is the body of POST /v1/centre/events: the dispatcher
// turns a hotspot of the last analysis, or a list of orders, into an event
// order. Empty fields take defaults from the members and the duty list.
type CreateEventRequest struct {
	HotspotID string   `json:"hotspotId,omitempty"`
	OrderIDs  []string `json:"orderIds,omitempty"`
	Title     string   `json:"title,omitempty"`
	// Description is the event's text; default: the members' titles.
	Description string `json:"description,omitempty"`
	// Department is the responsible department; default: the duty list's
	// for the members' category.
	Department string `json:"department,omitempty"`
	// TeamID is the team the event is dispatched to; default: the team that
	// holds most members.
	TeamID string `json:"teamId,omitempty"`
	// ResolveBy is the event's own deadline; default: DefaultEventWorkdays
	// working days.
	ResolveBy time.Time `json:"resolveBy,omitzero"`
	Urgency   Urgency   `json:"urgency,omitempty"`
}

// Validate checks the request's shape (the platform checks the orders).
func (r *CreateEventRequest) Validate(now time.Time) error {
	switch {
	case r.HotspotID == "" && len(r.OrderIDs) == 0:
		return Errorf(EINVALID, "name a hotspot (hotspotId) or the member orders (orderIds)")
	case r.HotspotID != "" && len(r.OrderIDs) > 0:
		return Errorf(EINVALID, "name a hotspot or member orders, not both")
	case len(r.HotspotID) > 2*MaxOrderIDLength+1:
		return Errorf(EINVALID, "hotspotId is too long")
	}
	if len(r.OrderIDs) > 0 {
		if err := CheckEventMembers(r.OrderIDs); err != nil {
			return err
		}
	}
	if err := CheckText("event title", r.Title, 0, MaxEventTitleRunes); err != nil {
		return err
	}
	if err := CheckText("description", r.Description, 0, MaxNoteRunes); err != nil {
		return err
	}
	if err := CheckText("department", r.Department, 0, MaxDepartmentRunes); err != nil {
		return err
	}
	if !r.ResolveBy.IsZero() && !r.ResolveBy.After(now) {
		return Errorf(EINVALID, "resolveBy must be in the future")
	}
	if r.Urgency != "" && !r.Urgency.Valid() {
		return Errorf(EINVALID, "unknown urgency %q", r.Urgency)
	}
	return nil
}

// ProposalDecision is the body of POST /v1/centre/proposals/{id}/decision:
// accept (an event order is made, with the proposal's title, department and
// members unless overridden) or decline with a reason.
type ProposalDecision struct {
	Accept bool   `json:"accept"`
	Reason string `json:"reason,omitempty"` // required to decline
	// On accepting: what CreateEventRequest would set.
	TeamID    string    `json:"teamId,omitempty"`
	ResolveBy time.Time `json:"resolveBy,omitzero"`
}

// Validate checks the decision.
func (d *ProposalDecision) Validate() error {
	min := 0
	if !d.Accept {
		min = 1
	}
	return CheckText("decline reason", d.Reason, min, MaxReasonRunes)
}

// HotspotAnalysis is the body of GET /v1/centre/hotspots and of POST
// /v1/centre/analysis/run: the last district-wide analysis.
type HotspotAnalysis struct {
	RunAt  time.Time      `json:"runAt"`
	Report *HotspotReport `json:"report"`
	// Events maps a hotspot ID to the event order its members already
	// belong to (all of them), so the dispatcher does not make it twice.
	Events map[string]string `json:"events,omitempty"`
}

// Hotspot returns the hotspot with this id, or false.
func (a *HotspotAnalysis) Hotspot(id string) (Hotspot, bool) {
	if a == nil || a.Report == nil {
		return Hotspot{}, false
	}
	i := slices.IndexFunc(a.Report.Hotspots, func(h Hotspot) bool { return h.ID == id })
	if i < 0 {
		return Hotspot{}, false
	}
	return a.Report.Hotspots[i], true
}
