package streetdesk

import (
	"fmt"
	"time"
)

// Operation is something a person does to a work order. Some operations move
// the order to another state; facts (notes, contacts, photos) leave it where
// it is.
type Operation string

// Operations of the lifecycle. The names are also the sync mutation names
// where the street office performs them.
const (
	OpAccept           Operation = "accept"           // 签收
	OpRecordContact    Operation = "recordContact"    // 联系记录
	OpAddNote          Operation = "addNote"          // 现场勘察备注
	OpAttachPhoto      Operation = "attachPhoto"      // 照片
	OpRequestReturn    Operation = "requestReturn"    // 申请退单
	OpRequestExtension Operation = "requestExtension" // 申请延期
	OpSubmitResolution Operation = "submitResolution" // 办结 (straight to the centre)
	OpSubmitForReview  Operation = "submitForReview"  // 办结 when the team reviews first (领导签发)
	OpReassign         Operation = "reassign"         // 转派
	OpApproveReview    Operation = "approveReview"    // 签发
	OpSendBack         Operation = "sendBack"         // 退回修改
	OpProposeEvent     Operation = "proposeEvent"     // 提议大数据事件 (a fact: the order stays as it is)

	OpApproveReturn    Operation = "approveReturn"
	OpRejectReturn     Operation = "rejectReturn"
	OpApproveExtension Operation = "approveExtension"
	OpRejectExtension  Operation = "rejectExtension"
	OpClose            Operation = "close"  // callback: satisfied / basically satisfied
	OpReopen           Operation = "reopen" // callback: dissatisfied → 重办, cycle+1
	OpCancel           Operation = "cancel" // 撤单
	OpSupervise        Operation = "supervise"
	OpUnsupervise      Operation = "unsupervise"
)

// Operations lists every lifecycle operation.
var Operations = []Operation{
	OpAccept, OpRecordContact, OpAddNote, OpAttachPhoto, OpRequestReturn, OpRequestExtension,
	OpSubmitResolution, OpSubmitForReview, OpReassign, OpApproveReview, OpSendBack, OpProposeEvent,
	OpApproveReturn, OpRejectReturn, OpApproveExtension, OpRejectExtension, OpClose, OpReopen,
	OpCancel, OpSupervise, OpUnsupervise,
}

// Transition is one row of the lifecycle table: from a state, an operation by
// one of the roles leads to a state.
type Transition struct {
	From  Status
	Op    Operation
	Roles []Role
	To    Status
	// Guard, when set, is a condition on the order itself that the row also
	// needs. WorkOrder.Apply checks it; Apply, Can and Allowed see only a
	// state and a role, so they report the row as possible.
	Guard Guard
}

// Guard decides from the order and the moment whether a guarded transition
// may happen: nil, or an error saying why not.
type Guard func(w *WorkOrder, at time.Time) error

// CallbackOverrideWindow is how long after the citizen's own rating on the
// tracking page closed an order the callback agent may still override it
// (the centre's callback comes within three days of the resolution).
const CallbackOverrideWindow = 72 * time.Hour

// citizenRatedRecently lets the callback agent override a rating the citizen
// gave on the tracking page, within CallbackOverrideWindow of it: never a
// rating the agent recorded, nor an old one.
func citizenRatedRecently(w *WorkOrder, at time.Time) error {
	switch {
	case w.CitizenRatedAt.IsZero():
		return Errorf(ECONFLICT, "order %s was not closed by the citizen's own rating: the callback is recorded already", w.ID)
	case at.After(w.CitizenRatedAt.Add(CallbackOverrideWindow)):
		return Errorf(ECONFLICT, "order %s: the citizen's rating can be overridden only within %s of it", w.ID, CallbackOverrideWindow)
	}
	return nil
}

var (
	street      = []Role{RoleCaseworker, RoleLead}
	leadOnly    = []Role{RoleLead}
	dispatcher  = []Role{RoleDispatcher}
	callback    = []Role{RoleCallback}
	supervisors = []Role{RoleSupervisor, RoleDispatcher}
)

// workingStates are the states in which the street office is actively working
// an order ("reopened: as accepted").
var workingStates = []Status{StatusAccepted, StatusReopened}

// Lifecycle is the transition table: for each state, the operations out of
// it, who may perform them and where they lead. It is data: Apply is the
// only code that interprets it, and tests walk every cell.
var Lifecycle = buildLifecycle()

func buildLifecycle() []Transition {
	var t []Transition
	add := func(from Status, op Operation, roles []Role, to Status) {
		t = append(t, Transition{From: from, Op: op, Roles: roles, To: to})
	}
	guarded := func(g Guard, from Status, op Operation, roles []Role, to Status) {
		t = append(t, Transition{From: from, Op: op, Roles: roles, To: to, Guard: g})
	}
	// 待签收
	add(StatusDispatched, OpAccept, street, StatusAccepted)
	add(StatusDispatched, OpRequestReturn, street, StatusReturnRequested)
	add(StatusDispatched, OpReassign, leadOnly, StatusDispatched)
	// 办理中 and 重办 (same operations; facts keep the state)
	for _, s := range workingStates {
		add(s, OpRecordContact, street, s)
		add(s, OpAddNote, street, s)
		add(s, OpAttachPhoto, street, s)
		add(s, OpRequestExtension, street, StatusExtensionRequested)
		add(s, OpRequestReturn, street, StatusReturnRequested)
		add(s, OpSubmitResolution, street, StatusResolved)
		add(s, OpSubmitForReview, street, StatusAwaitingReview)
		add(s, OpReassign, leadOnly, StatusDispatched)
	}
	// 延期待审: work continues meanwhile.
	es := StatusExtensionRequested
	add(es, OpRecordContact, street, es)
	add(es, OpAddNote, street, es)
	add(es, OpAttachPhoto, street, es)
	add(es, OpSubmitResolution, street, StatusResolved)
	add(es, OpSubmitForReview, street, StatusAwaitingReview)
	add(es, OpApproveExtension, dispatcher, StatusAccepted)
	add(es, OpRejectExtension, dispatcher, StatusAccepted)
	// 退单待审: the centre decides.
	add(StatusReturnRequested, OpAddNote, street, StatusReturnRequested)
	add(StatusReturnRequested, OpApproveReturn, dispatcher, StatusReturned)
	add(StatusReturnRequested, OpRejectReturn, dispatcher, StatusAccepted)
	// 待签发: the lead signs off or sends it back.
	add(StatusAwaitingReview, OpAddNote, street, StatusAwaitingReview)
	add(StatusAwaitingReview, OpApproveReview, leadOnly, StatusResolved)
	add(StatusAwaitingReview, OpSendBack, leadOnly, StatusAccepted)
	// 已办结: the callback.
	add(StatusResolved, OpClose, callback, StatusClosed)
	add(StatusResolved, OpReopen, callback, StatusReopened)
	// 已归档 by the citizen's own rating on the tracking page: the callback
	// agent's callback still counts, within the window — a different rating
	// replaces the citizen's, 不满意 reopens the order as from 已办结.
	guarded(citizenRatedRecently, StatusClosed, OpClose, callback, StatusClosed)
	guarded(citizenRatedRecently, StatusClosed, OpReopen, callback, StatusReopened)
	// The centre may cancel and supervise anything still open.
	for _, s := range []Status{StatusDispatched, StatusAccepted, StatusReturnRequested,
		StatusExtensionRequested, StatusAwaitingReview, StatusReopened} {
		add(s, OpCancel, dispatcher, StatusCancelled)
		add(s, OpSupervise, supervisors, s)
		add(s, OpUnsupervise, supervisors, s)
	}
	add(StatusResolved, OpSupervise, supervisors, StatusResolved)
	add(StatusResolved, OpUnsupervise, supervisors, StatusResolved)
	// A lead may propose a big-data event from any order still on record
	// for the street office: recurring complaints include answered ones.
	for _, s := range []Status{StatusDispatched, StatusAccepted, StatusReturnRequested, StatusExtensionRequested,
		StatusAwaitingReview, StatusResolved, StatusReopened, StatusClosed} {
		add(s, OpProposeEvent, leadOnly, s)
	}
	return t
}

type lifecycleKey struct {
	from Status
	op   Operation
}

var lifecycleIndex = func() map[lifecycleKey]Transition {
	m := make(map[lifecycleKey]Transition, len(Lifecycle))
	for _, t := range Lifecycle {
		k := lifecycleKey{t.From, t.Op}
		if _, dup := m[k]; dup {
			panic(fmt.Sprintf("streetdesk: duplicate lifecycle row %s/%s", t.From, t.Op))
		}
		m[k] = t
	}
	return m
}()

// TransitionError says that an operation is not possible: either the state
// does not allow it at all (EINVALID) or the role may not perform it (EFORBIDDEN).
type TransitionError struct {
	Code string
	From Status
	Op   Operation
	Role Role
}

func (e *TransitionError) Error() string {
	if e.Code == EFORBIDDEN {
		return fmt.Sprintf("role %s may not %s an order that is %s", e.Role, e.Op, e.From)
	}
	return fmt.Sprintf("cannot %s an order that is %s (role %s)", e.Op, e.From, e.Role)
}

// Apply applies op by role to an order in state from and returns the new
// state, or a *TransitionError naming the state, the operation and the role.
func Apply(from Status, op Operation, role Role) (Status, error) {
	t, ok := lifecycleIndex[lifecycleKey{from, op}]
	if !ok {
		return from, &TransitionError{Code: EINVALID, From: from, Op: op, Role: role}
	}
	for _, r := range t.Roles {
		if r == role {
			return t.To, nil
		}
	}
	return from, &TransitionError{Code: EFORBIDDEN, From: from, Op: op, Role: role}
}

// Allowed lists the operations role may perform on an order in state from, in
// the order of Operations. The UI shows exactly these actions.
func Allowed(from Status, role Role) []Operation {
	var ops []Operation
	for _, op := range Operations {
		if _, err := Apply(from, op, role); err == nil {
			ops = append(ops, op)
		}
	}
	return ops
}

// Can reports whether role may perform op on an order in state from.
func Can(from Status, op Operation, role Role) bool {
	_, err := Apply(from, op, role)
	return err == nil
}

// SubmitOp is the operation a caseworker's 办结 performs: straight to the
// centre, or to the lead first when the team reviews resolutions (领导签发).
func SubmitOp(review bool) Operation {
	if review {
		return OpSubmitForReview
	}
	return OpSubmitResolution
}

// Reassignment is reassign's input to Apply: the mutation's arguments with
// the new assignee as the applying side looked them up.
type Reassignment struct {
	To     User
	Reason string
}

// Reopening is reopen's input to Apply: the callback agent's comment and the
// new resolve-by (Calendar.ReopenDeadline of the moment of the callback).
type Reopening struct {
	Comment   string
	ResolveBy time.Time
}

// Apply performs op on the order as by, at time at: it checks the lifecycle
// (a *TransitionError when the order's state or by's role does not allow
// op), then makes the operation's effect — the new state and the fields the
// operation owns. The platform and a desk's overlay of pending intents both
// call it, so the two cannot disagree about what an operation does.
//
// It returns the history entry that records the change, or nil when the order
// did not change: a survey note, a photo, a contact after the first one, a
// reassignment to the current assignee. The platform appends the entry to
// History and bumps Version (neither is Apply's: a desk shows its pending
// intents beside the platform's history, and never invents versions).
// Fields that depend on what only the platform holds (AwaitingMedia after a
// resolution, which needs the photos' bytes) are the platform's to set too.
//
// args are op's arguments:
//
//	accept, approveReview            nil or *AcceptArgs / *ApproveReviewArgs
//	recordContact, addNote, attachPhoto, requestReturn, requestExtension,
//	submitResolution, submitForReview, sendBack
//	                                 the mutation's *…Args
//	reassign                         *Reassignment
//	cancel, approve/rejectReturn, approve/rejectExtension
//	                                 nil or *DecisionRequest (its comment)
//	close                            *CallbackRequest
//	reopen                           *Reopening
//	supervise, unsupervise           nil or *SuperviseRequest (its comment)
//	proposeEvent                     *ProposeEventArgs (changes nothing)
func (w *WorkOrder) Apply(op Operation, args any, by User, at time.Time) (*Event, error) {
	to, err := Apply(w.Status, op, by.Role)
	if err != nil {
		return nil, err
	}
	if g := lifecycleIndex[lifecycleKey{w.Status, op}].Guard; g != nil {
		if err := g(w, at); err != nil {
			return nil, err
		}
	}
	eff, ok := effects[op]
	if !ok {
		return nil, Errorf(EINVALID, "operation %s has no effect defined", op)
	}
	ev := Event{At: at, Actor: by.Name, Kind: string(op), Cycle: w.Cycle}
	next := *w
	changed, err := eff(&next, args, &ev)
	if err != nil {
		return nil, err
	}
	if !changed {
		return nil, nil
	}
	next.Status = to
	next.UpdatedAt = at
	*w = next
	return &ev, nil
}

// effect makes one operation's change to an order's fields (Apply sets the
// state) and writes the history text into ev. It reports whether the order
// changed; an args value of the wrong type is an error.
type effect func(w *WorkOrder, args any, ev *Event) (changed bool, err error)

// effects is what each operation does to an order, one rule per operation.
var effects = map[Operation]effect{
	OpAccept: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		// Accepting does not change the assignee: only dispatch and
		// reassign do.
		if err := noArgs[AcceptArgs](OpAccept, args); err != nil {
			return false, err
		}
		w.AcceptedAt = ev.At
		return true, nil
	},
	OpRecordContact: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		if _, err := argsOf[RecordContactArgs](OpRecordContact, args); err != nil {
			return false, err
		}
		// The first contact stops the first-contact clock; later ones are
		// notes only.
		if !w.FirstContact.IsZero() {
			return false, nil
		}
		w.FirstContact = ev.At
		return true, nil
	},
	OpAddNote: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		_, err := argsOf[AddNoteArgs](OpAddNote, args)
		return false, err // a note is a fact beside the order
	},
	OpAttachPhoto: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		_, err := argsOf[AttachPhotoArgs](OpAttachPhoto, args)
		return false, err // so is a photo
	},
	OpRequestReturn: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		a, err := argsOf[RequestReturnArgs](OpRequestReturn, args)
		if err != nil {
			return false, err
		}
		w.ReturnRequest = &ReturnRequest{Reason: a.Reason, Text: a.Text}
		ev.Value, ev.Text = string(a.Reason), a.Text
		return true, nil
	},
	OpRequestExtension: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		a, err := argsOf[RequestExtensionArgs](OpRequestExtension, args)
		if err != nil {
			return false, err
		}
		w.ExtensionRequest = &ExtensionRequest{Reason: a.Reason, NewResolveBy: a.NewResolveBy}
		ev.Text = a.Reason
		return true, nil
	},
	OpSubmitResolution: submit(OpSubmitResolution),
	OpSubmitForReview:  submit(OpSubmitForReview),
	OpReassign: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		a, err := argsOf[Reassignment](OpReassign, args)
		if err != nil {
			return false, err
		}
		if a.To.ID == "" {
			return false, Errorf(EINVALID, "reassign: no new assignee")
		}
		if a.To.ID == w.AssigneeID {
			return false, nil // already there
		}
		// The order goes back to 待签收 for the new assignee, who has not
		// accepted it yet.
		w.AssigneeID, w.AssigneeName = a.To.ID, a.To.Name
		w.AcceptedAt = time.Time{}
		ev.Value, ev.Text = a.To.Name, a.Reason
		return true, nil
	},
	OpApproveReview: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		return true, noArgs[ApproveReviewArgs](OpApproveReview, args)
	},
	OpSendBack: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		a, err := argsOf[SendBackArgs](OpSendBack, args)
		if err != nil {
			return false, err
		}
		w.ReviewComment = a.Comment
		ev.Text = a.Comment
		return true, nil
	},
	OpApproveReturn: decision(func(w *WorkOrder) { w.ReturnRequest = nil }),
	OpRejectReturn:  decision(func(w *WorkOrder) { w.ReturnRequest = nil }),
	OpApproveExtension: decision(func(w *WorkOrder) {
		if w.ExtensionRequest != nil {
			w.Deadlines.ResolveBy = w.ExtensionRequest.NewResolveBy
		}
		w.ExtensionRequest = nil
	}),
	OpRejectExtension: decision(func(w *WorkOrder) { w.ExtensionRequest = nil }),
	OpCancel:          decision(func(*WorkOrder) {}),
	OpClose: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		a, err := argsOf[CallbackRequest](OpClose, args)
		if err != nil {
			return false, err
		}
		if op, err := a.Rating.Operation(); err != nil || op != OpClose {
			return false, Errorf(EINVALID, "close: rating %q does not close an order", string(a.Rating))
		}
		w.Rating = a.Rating
		// Only the citizen's own rating leaves room for the agent's.
		w.CitizenRatedAt = time.Time{}
		if a.ByCitizen {
			w.CitizenRatedAt = ev.At
		}
		ev.Value, ev.Text = string(a.Rating), a.Comment
		return true, nil
	},
	OpReopen: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		a, err := argsOf[Reopening](OpReopen, args)
		if err != nil {
			return false, err
		}
		// 重办: the same order, a new cycle with its own deadline; the last
		// cycle's resolution no longer waits for photos.
		w.Rating = RatingDissatisfied
		w.Cycle++
		w.Deadlines.ResolveBy = a.ResolveBy
		w.ReopenReason = a.Comment
		w.AwaitingMedia = false
		w.CitizenRatedAt = time.Time{}
		ev.Value, ev.Text = string(RatingDissatisfied), a.Comment
		return true, nil
	},
	OpSupervise:   supervise(true),
	OpUnsupervise: supervise(false),
	OpProposeEvent: func(w *WorkOrder, args any, ev *Event) (bool, error) {
		_, err := argsOf[ProposeEventArgs](OpProposeEvent, args)
		return false, err // a proposal waits for the dispatcher beside the order
	},
}

func submit(op Operation) effect {
	return func(w *WorkOrder, args any, ev *Event) (bool, error) {
		a, err := argsOf[SubmitResolutionArgs](op, args)
		if err != nil {
			return false, err
		}
		// A new resolution answers the lead's comment on the last one.
		w.ReviewComment = ""
		ev.Value = string(a.Outcome)
		return true, nil
	}
}

// decision is a centre decision whose only input is a comment.
func decision(change func(w *WorkOrder)) effect {
	return func(w *WorkOrder, args any, ev *Event) (bool, error) {
		if args != nil {
			a, err := argsOf[DecisionRequest](Operation(ev.Kind), args)
			if err != nil {
				return false, err
			}
			ev.Text = a.Comment
		}
		change(w)
		return true, nil
	}
}

func supervise(on bool) effect {
	return func(w *WorkOrder, args any, ev *Event) (bool, error) {
		if args != nil {
			a, err := argsOf[SuperviseRequest](Operation(ev.Kind), args)
			if err != nil {
				return false, err
			}
			ev.Text = a.Comment
		}
		w.Supervised = on
		return true, nil
	}
}

// argsOf returns args as a *T (a T is accepted too).
func argsOf[T any](op Operation, args any) (*T, error) {
	switch a := args.(type) {
	case *T:
		if a != nil {
			return a, nil
		}
	case T:
		return &a, nil
	}
	var zero T
	return nil, Errorf(EINVALID, "%s: arguments are %T, want %T", op, args, &zero)
}

// noArgs accepts nil or a T for an operation without arguments.
func noArgs[T any](op Operation, args any) error {
	if args == nil {
		return nil
	}
	_, err := argsOf[T](op, args)
	return err
}
