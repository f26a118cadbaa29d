package streetdesk

import "fmt"

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
	OpSubmitResolution, OpSubmitForReview, OpReassign, OpApproveReview, OpSendBack,
	OpApproveReturn, OpRejectReturn, OpApproveExtension, OpRejectExtension, OpClose, OpReopen,
	OpCancel, OpSupervise, OpUnsupervise,
}

// Label returns the operation's name in lang, as on buttons and in the timeline.
func (o Operation) Label(lang string) string {
	names := map[Operation][2]string{
		OpAccept:           {"签收", "accept"},
		OpRecordContact:    {"联系记录", "contact record"},
		OpAddNote:          {"勘察备注", "survey note"},
		OpAttachPhoto:      {"添加照片", "add photos"},
		OpRequestReturn:    {"申请退单", "request return"},
		OpRequestExtension: {"申请延期", "request extension"},
		OpSubmitResolution: {"办结", "resolve"},
		OpSubmitForReview:  {"办结（待签发）", "resolve (for review)"},
		OpReassign:         {"转派", "reassign"},
		OpApproveReview:    {"签发", "approve"},
		OpSendBack:         {"退回修改", "send back"},
		OpApproveReturn:    {"同意退单", "approve return"},
		OpRejectReturn:     {"驳回退单", "reject return"},
		OpApproveExtension: {"同意延期", "approve extension"},
		OpRejectExtension:  {"驳回延期", "reject extension"},
		OpClose:            {"回访归档", "close after callback"},
		OpReopen:           {"重办", "reopen"},
		OpCancel:           {"撤单", "cancel"},
		OpSupervise:        {"督办", "supervise"},
		OpUnsupervise:      {"取消督办", "stop supervising"},
	}
	n, ok := names[o]
	if !ok {
		return string(o)
	}
	if isChinese(lang) {
		return n[0]
	}
	return n[1]
}

// Transition is one row of the lifecycle table: from a state, an operation by
// one of the roles leads to a state.
type Transition struct {
	From  Status
	Op    Operation
	Roles []Role
	To    Status
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

// Lifecycle is the transition table of DESIGN §2. It is data: Apply is the
// only code that interprets it, and tests walk every cell.
var Lifecycle = buildLifecycle()

func buildLifecycle() []Transition {
	var t []Transition
	add := func(from Status, op Operation, roles []Role, to Status) {
		t = append(t, Transition{From: from, Op: op, Roles: roles, To: to})
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
	// The centre may cancel and supervise anything still open.
	for _, s := range []Status{StatusDispatched, StatusAccepted, StatusReturnRequested,
		StatusExtensionRequested, StatusAwaitingReview, StatusReopened} {
		add(s, OpCancel, dispatcher, StatusCancelled)
		add(s, OpSupervise, supervisors, s)
		add(s, OpUnsupervise, supervisors, s)
	}
	add(StatusResolved, OpSupervise, supervisors, StatusResolved)
	add(StatusResolved, OpUnsupervise, supervisors, StatusResolved)
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
		return fmt.Sprintf("role %s may not %s an order that is %s", e.Role, e.Op, e.From.English())
	}
	return fmt.Sprintf("cannot %s an order that is %s (role %s)", e.Op, e.From.English(), e.Role)
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
