package streetdesk_test

import (
	"errors"
	"testing"

	"github.com/streetdesk/streetdesk"
)

// expected is the lifecycle written out independently of the table in
// lifecycle.go: for each (state, operation) the roles allowed and the target.
type cell struct {
	roles []streetdesk.Role
	to    streetdesk.Status
}

func expectedLifecycle() map[streetdesk.Status]map[streetdesk.Operation]cell {
	cw, ld := streetdesk.RoleCaseworker, streetdesk.RoleLead
	street := []streetdesk.Role{cw, ld}
	lead := []streetdesk.Role{ld}
	disp := []streetdesk.Role{streetdesk.RoleDispatcher}
	cb := []streetdesk.Role{streetdesk.RoleCallback}
	sup := []streetdesk.Role{streetdesk.RoleSupervisor, streetdesk.RoleDispatcher}
	S := func(s streetdesk.Status) streetdesk.Status { return s }

	working := func(self streetdesk.Status) map[streetdesk.Operation]cell {
		return map[streetdesk.Operation]cell{
			streetdesk.OpRecordContact:    {street, self},
			streetdesk.OpAddNote:          {street, self},
			streetdesk.OpAttachPhoto:      {street, self},
			streetdesk.OpRequestExtension: {street, streetdesk.StatusExtensionRequested},
			streetdesk.OpRequestReturn:    {street, streetdesk.StatusReturnRequested},
			streetdesk.OpSubmitResolution: {street, streetdesk.StatusResolved},
			streetdesk.OpSubmitForReview:  {street, streetdesk.StatusAwaitingReview},
			streetdesk.OpReassign:         {lead, streetdesk.StatusDispatched},
			streetdesk.OpCancel:           {disp, streetdesk.StatusCancelled},
			streetdesk.OpSupervise:        {sup, self},
			streetdesk.OpUnsupervise:      {sup, self},
		}
	}
	m := map[streetdesk.Status]map[streetdesk.Operation]cell{
		streetdesk.StatusDispatched: {
			streetdesk.OpAccept:        {street, streetdesk.StatusAccepted},
			streetdesk.OpRequestReturn: {street, streetdesk.StatusReturnRequested},
			streetdesk.OpReassign:      {lead, streetdesk.StatusDispatched},
			streetdesk.OpCancel:        {disp, streetdesk.StatusCancelled},
			streetdesk.OpSupervise:     {sup, S(streetdesk.StatusDispatched)},
			streetdesk.OpUnsupervise:   {sup, S(streetdesk.StatusDispatched)},
		},
		streetdesk.StatusAccepted: working(streetdesk.StatusAccepted),
		streetdesk.StatusReopened: working(streetdesk.StatusReopened),
		streetdesk.StatusExtensionRequested: {
			streetdesk.OpRecordContact:    {street, streetdesk.StatusExtensionRequested},
			streetdesk.OpAddNote:          {street, streetdesk.StatusExtensionRequested},
			streetdesk.OpAttachPhoto:      {street, streetdesk.StatusExtensionRequested},
			streetdesk.OpSubmitResolution: {street, streetdesk.StatusResolved},
			streetdesk.OpSubmitForReview:  {street, streetdesk.StatusAwaitingReview},
			streetdesk.OpApproveExtension: {disp, streetdesk.StatusAccepted},
			streetdesk.OpRejectExtension:  {disp, streetdesk.StatusAccepted},
			streetdesk.OpCancel:           {disp, streetdesk.StatusCancelled},
			streetdesk.OpSupervise:        {sup, streetdesk.StatusExtensionRequested},
			streetdesk.OpUnsupervise:      {sup, streetdesk.StatusExtensionRequested},
		},
		streetdesk.StatusReturnRequested: {
			streetdesk.OpAddNote:       {street, streetdesk.StatusReturnRequested},
			streetdesk.OpApproveReturn: {disp, streetdesk.StatusReturned},
			streetdesk.OpRejectReturn:  {disp, streetdesk.StatusAccepted},
			streetdesk.OpCancel:        {disp, streetdesk.StatusCancelled},
			streetdesk.OpSupervise:     {sup, streetdesk.StatusReturnRequested},
			streetdesk.OpUnsupervise:   {sup, streetdesk.StatusReturnRequested},
		},
		streetdesk.StatusAwaitingReview: {
			streetdesk.OpAddNote:       {street, streetdesk.StatusAwaitingReview},
			streetdesk.OpApproveReview: {lead, streetdesk.StatusResolved},
			streetdesk.OpSendBack:      {lead, streetdesk.StatusAccepted},
			streetdesk.OpCancel:        {disp, streetdesk.StatusCancelled},
			streetdesk.OpSupervise:     {sup, streetdesk.StatusAwaitingReview},
			streetdesk.OpUnsupervise:   {sup, streetdesk.StatusAwaitingReview},
		},
		streetdesk.StatusResolved: {
			streetdesk.OpClose:       {cb, streetdesk.StatusClosed},
			streetdesk.OpReopen:      {cb, streetdesk.StatusReopened},
			streetdesk.OpSupervise:   {sup, streetdesk.StatusResolved},
			streetdesk.OpUnsupervise: {sup, streetdesk.StatusResolved},
		},
		// Closed by the citizen's own rating: the agent may override
		// (guarded by the order, see TestCallbackOverridesCitizen).
		streetdesk.StatusClosed: {
			streetdesk.OpClose:  {cb, streetdesk.StatusClosed},
			streetdesk.OpReopen: {cb, streetdesk.StatusReopened},
		},
		streetdesk.StatusReturned:  {},
		streetdesk.StatusCancelled: {},
	}
	// A lead proposes an event from any order still on record.
	for s, ops := range m {
		if s != streetdesk.StatusReturned && s != streetdesk.StatusCancelled {
			ops[streetdesk.OpProposeEvent] = cell{lead, s}
		}
	}
	return m
}

// TestApply_EveryCell walks every (state, operation, role) cell: allowed
// cells reach the expected state, the others fail with EINVALID (the state
// has no such operation) or EFORBIDDEN (the role may not), naming all three.
func TestApply_EveryCell(t *testing.T) {
	exp := expectedLifecycle()
	if got, want := len(exp), len(streetdesk.Statuses); got != want {
		t.Fatalf("expected table covers %d states, want %d", got, want)
	}
	cells := 0
	for _, from := range streetdesk.Statuses {
		for _, op := range streetdesk.Operations {
			for _, role := range streetdesk.Roles {
				cells++
				name := string(from) + "/" + string(op) + "/" + string(role)
				c, opExists := exp[from][op]
				allowed := false
				for _, r := range c.roles {
					if r == role {
						allowed = true
					}
				}
				got, err := streetdesk.Apply(from, op, role)
				switch {
				case allowed:
					if err != nil {
						t.Errorf("%s: unexpected error %v", name, err)
					} else if got != c.to {
						t.Errorf("%s: to=%s, want %s", name, got, c.to)
					}
					if !streetdesk.Can(from, op, role) {
						t.Errorf("%s: Can=false", name)
					}
				default:
					var te *streetdesk.TransitionError
					if !errors.As(err, &te) {
						t.Fatalf("%s: err=%v, want *TransitionError", name, err)
					}
					want := streetdesk.EINVALID
					if opExists {
						want = streetdesk.EFORBIDDEN
					}
					if te.Code != want || streetdesk.ErrorCode(err) != want {
						t.Errorf("%s: code=%s, want %s", name, te.Code, want)
					}
					if te.From != from || te.Op != op || te.Role != role {
						t.Errorf("%s: error names %s/%s/%s", name, te.From, te.Op, te.Role)
					}
					if got != from {
						t.Errorf("%s: state changed to %s on error", name, got)
					}
				}
			}
		}
	}
	if want := len(streetdesk.Statuses) * len(streetdesk.Operations) * len(streetdesk.Roles); cells != want {
		t.Fatalf("walked %d cells, want %d", cells, want)
	}
	// The table must not hold rows the expectation lacks.
	for _, tr := range streetdesk.Lifecycle {
		if _, ok := exp[tr.From][tr.Op]; !ok {
			t.Errorf("lifecycle has unexpected row %s/%s", tr.From, tr.Op)
		}
	}
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		from streetdesk.Status
		role streetdesk.Role
		want []streetdesk.Operation
	}{
		{streetdesk.StatusDispatched, streetdesk.RoleCaseworker, []streetdesk.Operation{streetdesk.OpAccept, streetdesk.OpRequestReturn}},
		{streetdesk.StatusDispatched, streetdesk.RoleLead, []streetdesk.Operation{streetdesk.OpAccept, streetdesk.OpRequestReturn, streetdesk.OpReassign, streetdesk.OpProposeEvent}},
		{streetdesk.StatusClosed, streetdesk.RoleLead, []streetdesk.Operation{streetdesk.OpProposeEvent}},
		{streetdesk.StatusCancelled, streetdesk.RoleLead, nil},
		{streetdesk.StatusResolved, streetdesk.RoleCaseworker, nil},
		{streetdesk.StatusResolved, streetdesk.RoleCallback, []streetdesk.Operation{streetdesk.OpClose, streetdesk.OpReopen}},
	}
	for _, tt := range tests {
		got := streetdesk.Allowed(tt.from, tt.role)
		if len(got) != len(tt.want) {
			t.Errorf("Allowed(%s,%s)=%v, want %v", tt.from, tt.role, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Allowed(%s,%s)=%v, want %v", tt.from, tt.role, got, tt.want)
			}
		}
	}
}

// TestParseStatus: every state parses (their names are the translation
// files', see TestEveryValueNamed).
func TestParseStatus(t *testing.T) {
	for _, s := range streetdesk.Statuses {
		if _, err := streetdesk.ParseStatus(string(s)); err != nil {
			t.Errorf("ParseStatus(%s): %v", s, err)
		}
	}
	if _, err := streetdesk.ParseStatus("bogus"); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Errorf("ParseStatus(bogus) err=%v", err)
	}
}

func TestRatingOperation(t *testing.T) {
	for _, tt := range []struct {
		r    streetdesk.Rating
		want streetdesk.Operation
	}{
		{streetdesk.RatingSatisfied, streetdesk.OpClose},
		{streetdesk.RatingBasically, streetdesk.OpClose},
		{streetdesk.RatingDissatisfied, streetdesk.OpReopen},
	} {
		got, err := tt.r.Operation()
		if err != nil || got != tt.want {
			t.Errorf("%s: %v %v, want %v", tt.r, got, err, tt.want)
		}
	}
	if _, err := streetdesk.Rating("meh").Operation(); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Errorf("unknown rating: err=%v", err)
	}
}

func TestMaskPhone(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"13812341234", "138****1234"},
		{"+8613812341234", "+86****1234"},
		{"138****1234", "138****1234"},
		{"12345", "***45"},
		{"", ""},
	} {
		if got := streetdesk.MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q)=%q, want %q", tt.in, got, tt.want)
		}
	}
}
