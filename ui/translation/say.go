package translation

import (
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/streetdesk/streetdesk"
)

// Say words a message: its code's wording filled with its values, the
// values that are codes themselves worded first. A code without wording
// in w's language falls back to English, then to the code and its values.
func (w *Words) Say(m streetdesk.Message) string {
	if m.IsZero() {
		return ""
	}
	data := make(map[string]any, len(m.Args))
	for k, v := range m.Args {
		data[k] = w.value(v)
	}
	if w.loc != nil {
		// A message missing in Chinese comes back in English with an
		// error: better English than the code.
		if s, err := w.loc.Localize(&i18n.LocalizeConfig{MessageID: string(m.Code), TemplateData: data}); err == nil || s != "" {
			return s
		}
	}
	return m.String()
}

// value is a message's value as its wording shows it.
func (w *Words) value(v any) any {
	switch v := v.(type) {
	case streetdesk.Message:
		return w.Say(v)
	case map[string]any: // a Message that went through JSON
		if c, ok := v["code"].(string); ok {
			m := streetdesk.Message{Code: streetdesk.MsgCode(c)}
			if a, ok := v["args"].(map[string]any); ok {
				m.Args = a
			}
			return w.Say(m)
		}
	case time.Time:
		return v.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")
	}
	return v
}

// SyncSentence is what the sync bar says under its labels: nothing while
// all is well or a sync runs; otherwise why it stopped, what of the user's
// work is kept, and when it tries again (counted from now).
func (w *Words) SyncSentence(st streetdesk.SyncStatus, now time.Time) string {
	if st.State == streetdesk.SyncIdle || st.State == streetdesk.SyncSyncing {
		return ""
	}
	why := st.Reason
	if why.IsZero() {
		why = streetdesk.Msg(stateReason[st.State])
	}
	kept := w.T("sync.kept", "Your work is saved on this computer.")
	if st.Pending > 0 {
		kept = w.T("sync.keptN", "{{.N}} changes are saved on this computer.", map[string]int{"N": st.Pending})
	}
	retry := ""
	if !st.NextTry.IsZero() {
		secs := max(int((st.NextTry.Sub(now)+time.Second-1)/time.Second), 1)
		retry = w.T("sync.retry", "Trying again in {{.S}} s.", map[string]int{"S": secs})
	}
	return w.join(w.Say(why), kept, retry)
}

// stateReason words a state whose status names no reason.
var stateReason = map[streetdesk.SyncState]streetdesk.MsgCode{
	streetdesk.SyncOffline:    streetdesk.MsgSyncOffline,
	streetdesk.SyncPausedAuth: streetdesk.MsgSyncSignIn,
	streetdesk.SyncError:      streetdesk.MsgSyncPaused,
}
