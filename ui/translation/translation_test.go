package translation_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// msgCodes are the message codes the root package declares: every constant
// of type MsgCode, read from its source so that a new one cannot be missed.
func msgCodes(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	codes := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "MsgCode" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: %s is not a string literal", f, n.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					if other, dup := codes[v]; dup {
						t.Errorf("%s and %s are both %q", other, n.Name, v)
					}
					codes[v] = n.Name
				}
			}
		}
	}
	if len(codes) < 10 {
		t.Fatalf("found only %d message codes: %v", len(codes), codes)
	}
	return codes
}

// TestEveryCodeWorded: every message code of the root package has wording
// in Chinese and in English.
func TestEveryCodeWorded(t *testing.T) {
	for code, name := range msgCodes(t) {
		for _, l := range []string{translation.Chinese, translation.English} {
			if !translation.For(l).Has(code) {
				t.Errorf("%s (%q) has no %s wording", name, code, l)
			}
		}
	}
}

func TestHas(t *testing.T) {
	zh, en := translation.For(translation.Chinese), translation.For(translation.English)
	if !zh.Has("sync.now") || !en.Has("sync.now") || zh.Has("no.such.key") || en.Has("no.such.key") {
		t.Error("Has: a key both files have, or one neither has")
	}
}

func TestSay(t *testing.T) {
	zh, en := translation.For("zh_CN.UTF-8"), translation.For("en_US.UTF-8")
	for _, tc := range []struct {
		m      streetdesk.Message
		zh, en string
	}{
		{streetdesk.Msg(streetdesk.MsgSyncPulling, "Page", 1), "接收第 1 页", "receiving page 1"},
		{streetdesk.Msg(streetdesk.MsgSyncServerBusy, "Status", 503), "平台暂时无法处理（503）。", "The platform could not take the sync just now (503)."},
		{streetdesk.Message{}, "", ""},
		{streetdesk.Msg("no.such.code", "X", 1), "no.such.code X=1", "no.such.code X=1"},
	} {
		if got := zh.Say(tc.m); got != tc.zh {
			t.Errorf("zh %v: %q, want %q", tc.m, got, tc.zh)
		}
		if got := en.Say(tc.m); got != tc.en {
			t.Errorf("en %v: %q, want %q", tc.m, got, tc.en)
		}
	}
}

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		all, messages, lang, want string
	}{
		{"", "", "zh_CN.UTF-8", translation.Chinese},
		{"", "en_US.UTF-8", "zh_CN.UTF-8", translation.English},
		{"zh_TW.UTF-8", "en_US.UTF-8", "", translation.Chinese},
		{"", "", "", translation.English},
		{"", "", "de_DE.UTF-8", translation.English},
	} {
		t.Setenv("LC_ALL", tc.all)
		t.Setenv("LC_MESSAGES", tc.messages)
		t.Setenv("LANG", tc.lang)
		if got := translation.FromEnv().Lang(); got != tc.want {
			t.Errorf("LC_ALL=%q LC_MESSAGES=%q LANG=%q: %s, want %s", tc.all, tc.messages, tc.lang, got, tc.want)
		}
	}
}

// TestSyncSentence: the reason the engine gives, what is kept and when it
// retries, in both languages; nothing while idle or syncing.
func TestSyncSentence(t *testing.T) {
	now := time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)
	zh, en := translation.For(translation.Chinese), translation.For(translation.English)
	portal := streetdesk.SyncStatus{State: streetdesk.SyncOffline, Pending: 2, Reason: streetdesk.Msg(streetdesk.MsgSyncCaptivePortal),
		NextTry: now.Add(4500 * time.Millisecond)}
	if got, want := zh.SyncSentence(portal, now), "网络需要先登录（如酒店或热点的认证页）。待同步的 2 项已保存在本机。将在 5 秒后重试。"; got != want {
		t.Errorf("zh: %q, want %q", got, want)
	}
	if got, want := en.SyncSentence(portal, now), "The network wants you to sign in first (a hotel's or hotspot's sign-in page). 2 changes are saved on this computer. Trying again in 5 s."; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
	for _, st := range []streetdesk.SyncState{streetdesk.SyncIdle, streetdesk.SyncSyncing} {
		if got := en.SyncSentence(streetdesk.SyncStatus{State: st, Pending: 3, Reason: portal.Reason}, now); got != "" {
			t.Errorf("%s: %q", st, got)
		}
	}
	if !slices.Contains([]string{translation.Chinese}, zh.Lang()) {
		t.Errorf("zh speaks %s", zh.Lang())
	}
}

// TestEveryValueNamed: every value of the domain's coded types (the
// lifecycle's states and operations, roles, urgencies, …) has a name in
// Chinese and in English.
func TestEveryValueNamed(t *testing.T) {
	var values []any
	add := func(vs ...any) { values = append(values, vs...) }
	for _, v := range streetdesk.Statuses {
		add(v)
	}
	for _, v := range streetdesk.Operations {
		add(v)
	}
	for _, v := range streetdesk.Roles {
		add(v)
	}
	for _, v := range streetdesk.Urgencies {
		add(v)
	}
	for _, v := range append(slices.Clone(streetdesk.Channels), streetdesk.ChannelAnalysis) { // an event order's channel is in no intake list
		add(v)
	}
	for _, v := range streetdesk.ReturnReasons {
		add(v)
	}
	for _, v := range streetdesk.Outcomes {
		add(v)
	}
	for _, v := range streetdesk.Ratings {
		add(v)
	}
	add(streetdesk.ChannelAnalysis, streetdesk.PhotoBefore, streetdesk.PhotoAfter,
		streetdesk.ContactPhone, streetdesk.ContactVisit, streetdesk.ContactSMS,
		streetdesk.TrendNew, streetdesk.TrendRising, streetdesk.TrendSteady, streetdesk.TrendFalling)
	for _, v := range values {
		k := translation.NameKey(v)
		for _, l := range []string{translation.Chinese, translation.English} {
			if k == "" || !translation.For(l).Has(k) {
				t.Errorf("%T %q (%s) has no %s name", v, v, k, l)
			}
		}
	}
	if got := translation.For(translation.Chinese).Name(streetdesk.StatusAccepted); got != "办理中" {
		t.Errorf("zh name of accepted: %q", got)
	}
	if got := translation.For(translation.English).Name(streetdesk.OpReassign); got != "reassign" {
		t.Errorf("en name of reassign: %q", got)
	}
	if got := translation.For(translation.Chinese).Name(streetdesk.PhotoOther); got != "" {
		t.Errorf("untagged photo named %q", got)
	}
}
