package translation

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
)

// nameKey is the translation key that names one of the domain's coded
// values (name.status.accepted, name.op.accept, …), "" for anything else.
func nameKey(v any) string {
	switch v := v.(type) {
	case streetdesk.Status:
		return "name.status." + string(v)
	case streetdesk.Role:
		return "name.role." + string(v)
	case streetdesk.Urgency:
		return "name.urgency." + string(v)
	case streetdesk.Channel:
		return "name.channel." + string(v)
	case streetdesk.ReturnReason:
		return "name.returnReason." + string(v)
	case streetdesk.Outcome:
		return "name.outcome." + string(v)
	case streetdesk.Rating:
		return "name.rating." + string(v)
	case streetdesk.PhotoTag:
		return "name.photoTag." + string(v)
	case streetdesk.ContactMethod:
		return "name.contact." + string(v)
	case streetdesk.Operation:
		return "name.op." + string(v)
	case streetdesk.Trend:
		return "name.trend." + string(v)
	}
	return ""
}

// NameKey is the translation key that names v, one of the domain's coded
// values; "" if v is none.
func NameKey(v any) string { return nameKey(v) }

// Name is the name of one of the domain's coded values (a Status, an
// Operation, …) in w's language: the value itself when the files have no
// name for it, "" for the empty value (an untagged photo, no rating).
func (w *Words) Name(v any) string {
	k := nameKey(v)
	if k == "" {
		return fmt.Sprint(v)
	}
	code := k[strings.LastIndex(k, ".")+1:]
	if code == "" {
		return ""
	}
	return w.T(k, code)
}

// CiteEvent is the reply a member of a resolved big-data event starts from
// (参照大数据事件 ID 的处理结果：…). It is the citizen's reply, so callers ask
// the Chinese words whatever the desk's language.
func (w *Words) CiteEvent(er *streetdesk.EventResolution) string {
	return er.Cite(w.T("cite.event", "Following the resolution of big-data event {{.ID}}: ", map[string]string{"ID": er.EventID}))
}

// TimelineKind names a timeline entry's kind: the order's dispatch, a
// callback, a reopening, photos, or the operation the entry records.
func (w *Words) TimelineKind(kind string) string {
	switch kind {
	case streetdesk.TimelineDispatch:
		return w.T("timeline.dispatch", "dispatched")
	case streetdesk.TimelineCallback:
		return w.T("timeline.callback", "callback")
	case streetdesk.TimelineReopen:
		return w.T("timeline.reopen", "reopened")
	case string(streetdesk.OpAttachPhoto):
		return w.T("timeline.photos", "photos")
	case streetdesk.TimelineLinkEvent:
		return w.T("timeline.linkEvent", "joined an event")
	}
	return w.Name(streetdesk.Operation(kind))
}

// TimelineDetail is what a timeline entry says after its kind: the contact
// method and whether the citizen answered, the photo count and tag, the
// outcome — then its text.
func (w *Words) TimelineDetail(e *streetdesk.TimelineEntry) string {
	var parts []string
	switch streetdesk.Operation(e.Kind) {
	case streetdesk.OpRecordContact:
		if e.Method != "" {
			r := w.T("timeline.notReached", "not reached")
			if e.Reached {
				r = w.T("timeline.reached", "reached")
			}
			parts = append(parts, "("+w.Name(e.Method)+", "+r+")")
		}
	case streetdesk.OpAttachPhoto:
		s := "×" + strconv.Itoa(e.Photos)
		if e.Tag == streetdesk.PhotoBefore || e.Tag == streetdesk.PhotoAfter {
			s += " (" + w.Name(e.Tag) + ")"
		}
		parts = append(parts, s)
	case streetdesk.OpSubmitResolution, streetdesk.OpSubmitForReview:
		if e.Outcome != "" {
			parts = append(parts, w.Name(e.Outcome)+":")
		}
	case streetdesk.OpRequestReturn:
		if e.Value != "" {
			parts = append(parts, w.Name(streetdesk.ReturnReason(e.Value)))
		}
	case streetdesk.OpClose, streetdesk.OpReopen:
		if e.Value != "" {
			parts = append(parts, w.Name(streetdesk.Rating(e.Value)))
		}
	case streetdesk.OpReassign:
		if e.Value != "" {
			parts = append(parts, w.T("timeline.reassignedTo", "to {{.Name}}", map[string]string{"Name": e.Value}))
		}
	}
	if t := strings.Join(strings.Fields(e.Text), " "); t != "" {
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

// ArgsText is the text a person wrote in a mutation's arguments
// (streetdesk.ArgsText), a return request's reason named in w's language.
func (w *Words) ArgsText(args any) string {
	if v, ok := args.(*streetdesk.RequestReturnArgs); ok {
		return strings.TrimSpace(w.Name(v.Reason) + " " + v.Text)
	}
	return streetdesk.ArgsText(args)
}

// Remaining is the time from now to deadline as the queue shows it (剩余
// 5小时, 2h overdue); "" without a deadline.
func (w *Words) Remaining(deadline, now time.Time) string {
	r, ok := streetdesk.RemainingAt(deadline, now)
	if !ok {
		return ""
	}
	n := map[string]int{"N": r.N}
	var amount string
	switch r.Unit {
	case streetdesk.RemainingDays:
		amount = w.T("remaining.days", "{{.N}}d", n)
	case streetdesk.RemainingHours:
		amount = w.T("remaining.hours", "{{.N}}h", n)
	default:
		amount = w.T("remaining.minutes", "{{.N}}min", n)
	}
	if r.Over {
		return w.T("remaining.over", "{{.A}} overdue", map[string]string{"A": amount})
	}
	return w.T("remaining.left", "{{.A}} left", map[string]string{"A": amount})
}
