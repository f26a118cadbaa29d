package streetdesk

import "fmt"

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

var statusNames = map[Status][2]string{
	StatusDispatched:         {"待签收", "awaiting acceptance"},
	StatusAccepted:           {"办理中", "in progress"},
	StatusReturnRequested:    {"退单待审", "return requested"},
	StatusExtensionRequested: {"延期待审", "extension requested"},
	StatusAwaitingReview:     {"待签发", "awaiting review"},
	StatusResolved:           {"已办结", "resolved"},
	StatusReopened:           {"重办", "reopened"},
	StatusClosed:             {"已归档", "closed"},
	StatusReturned:           {"已退回", "returned"},
	StatusCancelled:          {"已撤单", "cancelled"},
}

// String returns the Chinese name, the one caseworkers use.
func (s Status) String() string { return s.Label("zh") }

// English returns the English name from the glossary.
func (s Status) English() string { return s.Label("en") }

// Label returns the name in lang ("zh…" for Chinese, anything else English).
func (s Status) Label(lang string) string {
	n, ok := statusNames[s]
	if !ok {
		return string(s)
	}
	if isChinese(lang) {
		return n[0]
	}
	return n[1]
}

// Valid reports whether s is a known state.
func (s Status) Valid() bool { _, ok := statusNames[s]; return ok }

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

func isChinese(lang string) bool { return len(lang) >= 2 && lang[:2] == "zh" }

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

var roleNames = map[Role][2]string{
	RoleCaseworker: {"承办人", "caseworker"},
	RoleLead:       {"组长", "team lead"},
	RoleDispatcher: {"派单员", "dispatcher"},
	RoleCallback:   {"回访员", "callback agent"},
	RoleSupervisor: {"督办员", "supervisor"},
}

// Label returns the role's name in lang.
func (r Role) Label(lang string) string {
	n, ok := roleNames[r]
	if !ok {
		return string(r)
	}
	if isChinese(lang) {
		return n[0]
	}
	return n[1]
}

func (r Role) String() string { return r.Label("zh") }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleNames[r]; return ok }

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

// Label returns the urgency's name in lang.
func (u Urgency) Label(lang string) string {
	zh, en := "一般", "normal"
	switch u {
	case UrgencyUrgent:
		zh, en = "紧急", "urgent"
	case UrgencyCritical:
		zh, en = "特急", "critical"
	}
	if isChinese(lang) {
		return zh
	}
	return en
}

func (u Urgency) String() string { return u.Label("zh") }

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

// Label returns the channel's name in lang.
func (c Channel) Label(lang string) string {
	names := map[Channel][2]string{
		ChannelHotline:     {"12345热线", "12345 hotline"},
		ChannelMiniProgram: {"@深圳-民意速办", "mini program"},
		ChannelWeb:         {"网站", "web"},
		ChannelApp:         {"i深圳APP", "i Shenzhen app"},
		ChannelMayorMail:   {"市长信箱", "mayor's mailbox"},
		ChannelGrid:        {"网格员上报", "grid worker report"},
		ChannelAnalysis:    {"大数据分析", "big-data analysis"},
	}
	n, ok := names[c]
	if !ok {
		return string(c)
	}
	if isChinese(lang) {
		return n[0]
	}
	return n[1]
}

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

// Label returns the reason's name in lang.
func (r ReturnReason) Label(lang string) string {
	names := map[ReturnReason][2]string{
		ReturnNotOurArea:       {"属地不符", "not our area"},
		ReturnNotOurDuty:       {"职能不符", "not our duty"},
		ReturnOwnershipUnclear: {"权属不清", "ownership unclear"},
		ReturnDispatchError:    {"派遣错误", "dispatch error"},
		ReturnOther:            {"其他", "other"},
	}
	n, ok := names[r]
	if !ok {
		return string(r)
	}
	if isChinese(lang) {
		return n[0]
	}
	return n[1]
}

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

// Label returns the outcome's name in lang.
func (o Outcome) Label(lang string) string {
	zh, en := string(o), string(o)
	switch o {
	case OutcomeSolved:
		zh, en = "已解决", "solved"
	case OutcomePartly:
		zh, en = "部分解决", "partly solved"
	case OutcomeExplained:
		zh, en = "未解决已解释", "not solved, explained"
	}
	if isChinese(lang) {
		return zh
	}
	return en
}

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

// Label returns the rating's name in lang.
func (r Rating) Label(lang string) string {
	zh, en := "", ""
	switch r {
	case RatingSatisfied:
		zh, en = "满意", "satisfied"
	case RatingBasically:
		zh, en = "基本满意", "basically satisfied"
	case RatingDissatisfied:
		zh, en = "不满意", "dissatisfied"
	}
	if isChinese(lang) {
		return zh
	}
	return en
}

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

// Label returns the tag's name in lang.
func (t PhotoTag) Label(lang string) string {
	switch t {
	case PhotoBefore:
		if isChinese(lang) {
			return "整改前"
		}
		return "before"
	case PhotoAfter:
		if isChinese(lang) {
			return "整改后"
		}
		return "after"
	}
	return ""
}

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

// Label returns the method's name in lang.
func (m ContactMethod) Label(lang string) string {
	zh, en := string(m), string(m)
	switch m {
	case ContactPhone:
		zh, en = "电话", "phone"
	case ContactVisit:
		zh, en = "上门", "visit"
	case ContactSMS:
		zh, en = "短信", "SMS"
	}
	if isChinese(lang) {
		return zh
	}
	return en
}

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
