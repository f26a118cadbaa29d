package streetdesk

import (
	"fmt"
	"slices"
)

// Status is a work order's state in the street office's view of the lifecycle.
// The values are stable strings: they are stored locally and sent on the wire.
type Status string

// The states of the lifecycle, in the order an order passes them.
const (
	StatusDispatched         Status = "dispatched"          // 待签收
	StatusAccepted           Status = "accepted"            // 办理中
	StatusReturnRequested    Status = "return_requested"    // 退单待审
	StatusExtensionRequested Status = "extension_requested" // 延期待审
	StatusAwaitingReview     Status = "awaiting_review"     // 待签发
	StatusResolved           Status = "resolved"            // 已办结
	StatusReopened           Status = "reopened"            // 重办
	StatusClosed             Status = "closed"              // 已归档
	StatusReturned           Status = "returned"            // 已退回
	StatusCancelled          Status = "cancelled"           // 已撤单
)

// Statuses lists every state in lifecycle order.
var Statuses = []Status{
	StatusDispatched, StatusAccepted, StatusReturnRequested, StatusExtensionRequested,
	StatusAwaitingReview, StatusResolved, StatusReopened, StatusClosed, StatusReturned,
	StatusCancelled,
}

// Valid reports whether s is a known state.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Terminal reports whether the street office is done with an order in s.
func (s Status) Terminal() bool {
	return s == StatusClosed || s == StatusReturned || s == StatusCancelled
}

// Open reports whether the order still needs work from the street office
// (anything not terminal and not waiting for the callback).
func (s Status) Open() bool { return !s.Terminal() && s != StatusResolved }

// ParseStatus parses a stored status value.
func ParseStatus(v string) (Status, error) {
	s := Status(v)
	if !s.Valid() {
		return "", Errorf(EINVALID, "unknown status %q", v)
	}
	return s, nil
}

// Role is what a person may do. Caseworkers and leads belong to a street
// office's team; dispatchers, callback agents and supervisors to the centre.
type Role string

// Roles.
const (
	RoleCaseworker Role = "caseworker" // 承办人
	RoleLead       Role = "lead"       // 组长
	RoleDispatcher Role = "dispatcher" // 派单员
	RoleCallback   Role = "callback"   // 回访员
	RoleSupervisor Role = "supervisor" // 督办员
)

// Roles lists every role.
var Roles = []Role{RoleCaseworker, RoleLead, RoleDispatcher, RoleCallback, RoleSupervisor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Centre reports whether r belongs to the 12345 centre rather than a street office.
func (r Role) Centre() bool {
	return r == RoleDispatcher || r == RoleCallback || r == RoleSupervisor
}

// ParseRole parses a role name.
func ParseRole(v string) (Role, error) {
	r := Role(v)
	if !r.Valid() {
		return "", Errorf(EINVALID, "unknown role %q", v)
	}
	return r, nil
}

// Urgency is the order's priority as the centre set it.
type Urgency string

// Urgencies.
const (
	UrgencyNormal   Urgency = "normal"   // 一般
	UrgencyUrgent   Urgency = "urgent"   // 紧急
	UrgencyCritical Urgency = "critical" // 特急
)

// Urgencies lists every urgency from least to most urgent.
var Urgencies = []Urgency{UrgencyNormal, UrgencyUrgent, UrgencyCritical}

// Rank orders urgencies: higher is more urgent.
func (u Urgency) Rank() int {
	switch u {
	case UrgencyCritical:
		return 2
	case UrgencyUrgent:
		return 1
	}
	return 0
}

// Valid reports whether u is known.
func (u Urgency) Valid() bool {
	return u == UrgencyNormal || u == UrgencyUrgent || u == UrgencyCritical
}

// Channel is the intake channel of a citizen request.
type Channel string

// Intake channels.
const (
	ChannelHotline     Channel = "hotline"      // 12345热线
	ChannelMiniProgram Channel = "mini_program" // @深圳-民意速办
	ChannelWeb         Channel = "web"          // 网站
	ChannelApp         Channel = "app"          // i深圳APP
	ChannelMayorMail   Channel = "mayor_mail"   // 市长信箱
	ChannelGrid        Channel = "grid"         // 网格员上报
	// ChannelAnalysis is an event order's: the platform's analysis found
	// it, no citizen called (not in Channels: nobody dispatches with it).
	ChannelAnalysis Channel = "analysis" // 大数据分析
)

// Channels lists every channel.
var Channels = []Channel{ChannelHotline, ChannelMiniProgram, ChannelWeb, ChannelApp, ChannelMayorMail, ChannelGrid}

// ReturnReason is the code a caseworker gives when asking to return a misrouted order.
type ReturnReason string

// Return reason codes (退单理由).
const (
	ReturnNotOurArea       ReturnReason = "not_our_area"      // 属地不符
	ReturnNotOurDuty       ReturnReason = "not_our_duty"      // 职能不符
	ReturnOwnershipUnclear ReturnReason = "ownership_unclear" // 权属不清
	ReturnDispatchError    ReturnReason = "dispatch_error"    // 派遣错误
	ReturnOther            ReturnReason = "other"             // 其他 (text required)
)

// ReturnReasons lists every return reason.
var ReturnReasons = []ReturnReason{ReturnNotOurArea, ReturnNotOurDuty, ReturnOwnershipUnclear, ReturnDispatchError, ReturnOther}

// Valid reports whether r is a known reason.
func (r ReturnReason) Valid() bool {
	for _, x := range ReturnReasons {
		if x == r {
			return true
		}
	}
	return false
}

// Outcome is how a resolution left the citizen's problem.
type Outcome string

// Resolution outcomes.
const (
	OutcomeSolved    Outcome = "solved"    // 已解决
	OutcomePartly    Outcome = "partly"    // 部分解决
	OutcomeExplained Outcome = "explained" // 未解决已解释
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeSolved, OutcomePartly, OutcomeExplained}

// Valid reports whether o is known.
func (o Outcome) Valid() bool {
	return o == OutcomeSolved || o == OutcomePartly || o == OutcomeExplained
}

// Rating is the citizen's answer at the callback (回访).
type Rating string

// Callback ratings.
const (
	RatingNone         Rating = ""
	RatingSatisfied    Rating = "satisfied"    // 满意
	RatingBasically    Rating = "basically"    // 基本满意
	RatingDissatisfied Rating = "dissatisfied" // 不满意
)

// Ratings lists every rating a callback can record.
var Ratings = []Rating{RatingSatisfied, RatingBasically, RatingDissatisfied}

// Valid reports whether r is a rating a callback can record.
func (r Rating) Valid() bool {
	return r == RatingSatisfied || r == RatingBasically || r == RatingDissatisfied
}

// Operation returns the lifecycle operation that recording r performs.
func (r Rating) Operation() (Operation, error) {
	switch r {
	case RatingSatisfied, RatingBasically:
		return OpClose, nil
	case RatingDissatisfied:
		return OpReopen, nil
	}
	return "", Errorf(EINVALID, "unknown rating %q", string(r))
}

// PhotoTag says whether a photo shows the site before or after the work.
type PhotoTag string

// Photo tags.
const (
	PhotoBefore PhotoTag = "before" // 整改前
	PhotoAfter  PhotoTag = "after"  // 整改后
	PhotoOther  PhotoTag = ""       // untagged (e.g. the citizen's own photos)
)

// Valid reports whether t is a known tag.
func (t PhotoTag) Valid() bool { return t == PhotoBefore || t == PhotoAfter || t == PhotoOther }

// ContactMethod is how a caseworker reached (or tried to reach) the citizen.
type ContactMethod string

// Contact methods.
const (
	ContactPhone ContactMethod = "phone" // 电话
	ContactVisit ContactMethod = "visit" // 上门
	ContactSMS   ContactMethod = "sms"   // 短信
)

// Valid reports whether m is known.
func (m ContactMethod) Valid() bool {
	return m == ContactPhone || m == ContactVisit || m == ContactSMS
}

// must is used for package-level tables that cannot fail at run time.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("streetdesk: %v", err))
	}
	return v
}
