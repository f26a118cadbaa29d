package streetdesk_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
)

const uuid1 = "0190f3a2-1111-7abc-8def-000000000001"

func TestDecodeArgs(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	for _, tt := range []struct {
		name, mut, args string
		ok              bool
	}{
		{"accept empty", streetdesk.MutAccept, `{}`, true},
		{"accept null", streetdesk.MutAccept, `null`, true},
		{"note", streetdesk.MutAddNote, `{"noteId":"` + uuid1 + `","body":"现场查看，垃圾站压缩机噪声明显"}`, true},
		{"note empty body", streetdesk.MutAddNote, `{"noteId":"` + uuid1 + `","body":"  "}`, false},
		{"note too long", streetdesk.MutAddNote, `{"noteId":"` + uuid1 + `","body":"` + strings.Repeat("噪", streetdesk.MaxNoteRunes+1) + `"}`, false},
		{"note bad id", streetdesk.MutAddNote, `{"noteId":"../../etc","body":"x"}`, false},
		{"note unknown field", streetdesk.MutAddNote, `{"noteId":"` + uuid1 + `","body":"x","extra":1}`, false},
		{"note wrong type", streetdesk.MutAddNote, `{"noteId":"` + uuid1 + `","body":5}`, false},
		{"note trailing", streetdesk.MutAddNote, `{"noteId":"` + uuid1 + `","body":"x"} {}`, false},
		{"contact", streetdesk.MutRecordContact, `{"noteId":"` + uuid1 + `","method":"phone","reached":true,"body":""}`, true},
		{"contact bad method", streetdesk.MutRecordContact, `{"noteId":"` + uuid1 + `","method":"pigeon"}`, false},
		{"photo", streetdesk.MutAttachPhoto, `{"photoRefId":"` + uuid1 + `","sha256":"` + sha + `","size":1000,"mime":"image/jpeg","tag":"after"}`, true},
		{"photo heic", streetdesk.MutAttachPhoto, `{"photoRefId":"` + uuid1 + `","sha256":"` + sha + `","size":1000,"mime":"image/heic","tag":"after"}`, false},
		{"photo upper sha", streetdesk.MutAttachPhoto, `{"photoRefId":"` + uuid1 + `","sha256":"` + strings.ToUpper(sha) + `","size":1000,"mime":"image/jpeg"}`, false},
		{"photo huge", streetdesk.MutAttachPhoto, `{"photoRefId":"` + uuid1 + `","sha256":"` + sha + `","size":999999999,"mime":"image/jpeg"}`, false},
		{"photo bad lat", streetdesk.MutAttachPhoto, `{"photoRefId":"` + uuid1 + `","sha256":"` + sha + `","size":10,"mime":"image/png","lat":91}`, false},
		{"resolve", streetdesk.MutSubmitResolution, `{"resolutionId":"` + uuid1 + `","outcome":"solved","reply":"已协调环卫部门调整垃圾站作业时间至早上七点以后","photoRefIds":["` + uuid1 + `"]}`, true},
		{"resolve publish", streetdesk.MutSubmitResolution, `{"resolutionId":"` + uuid1 + `","outcome":"solved","reply":"已协调环卫部门调整垃圾站作业时间至早上七点以后","photoRefIds":["` + uuid1 + `"],"publishPhotoRefIds":["` + uuid1 + `"]}`, true},
		{"resolve publish not chosen", streetdesk.MutSubmitResolution, `{"resolutionId":"` + uuid1 + `","outcome":"solved","reply":"已协调环卫部门调整垃圾站作业时间至早上七点以后","photoRefIds":[],"publishPhotoRefIds":["` + uuid1 + `"]}`, false},
		{"resolve publish twice", streetdesk.MutSubmitResolution, `{"resolutionId":"` + uuid1 + `","outcome":"solved","reply":"已协调环卫部门调整垃圾站作业时间至早上七点以后","photoRefIds":["` + uuid1 + `"],"publishPhotoRefIds":["` + uuid1 + `","` + uuid1 + `"]}`, false},
		{"resolve publish bad id", streetdesk.MutSubmitResolution, `{"resolutionId":"` + uuid1 + `","outcome":"solved","reply":"已协调环卫部门调整垃圾站作业时间至早上七点以后","photoRefIds":["` + uuid1 + `"],"publishPhotoRefIds":["x"]}`, false},
		{"resolve short", streetdesk.MutSubmitResolution, `{"resolutionId":"` + uuid1 + `","outcome":"solved","reply":"好了"}`, false},
		{"resolve bad outcome", streetdesk.MutSubmitResolution, `{"resolutionId":"` + uuid1 + `","outcome":"meh","reply":"已协调环卫部门调整垃圾站作业时间至早上七点以后"}`, false},
		{"return", streetdesk.MutRequestReturn, `{"reason":"not_our_area","text":""}`, true},
		{"return other needs text", streetdesk.MutRequestReturn, `{"reason":"other","text":""}`, false},
		{"extension", streetdesk.MutRequestExtension, `{"reason":"需要协调施工单位","newResolveBy":"2026-03-30T16:00:00+08:00"}`, true},
		{"extension no date", streetdesk.MutRequestExtension, `{"reason":"需要协调"}`, false},
		{"reassign", streetdesk.MutReassign, `{"to":"u-cw02","reason":"属地调整"}`, true},
		{"reassign nobody", streetdesk.MutReassign, `{"to":""}`, false},
		{"send back", streetdesk.MutSendBack, `{"comment":"请补充整改后照片"}`, true},
		{"unknown mutation", "deleteEverything", `{}`, false},
		{"invalid utf8", streetdesk.MutAddNote, "{\"noteId\":\"" + uuid1 + "\",\"body\":\"\xff\xfe\"}", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := streetdesk.DecodeArgs(tt.mut, json.RawMessage(tt.args))
			if (err == nil) != tt.ok {
				t.Fatalf("err=%v, want ok=%v", err, tt.ok)
			}
			if err != nil && streetdesk.ErrorCode(err) != streetdesk.EINVALID {
				t.Fatalf("code=%s, want EINVALID", streetdesk.ErrorCode(err))
			}
		})
	}
}

func TestValidateMutation(t *testing.T) {
	m := streetdesk.Mutation{ID: 1, Key: uuid1, Name: streetdesk.MutAccept, OrderID: "SZ12345-20260312-000481", Args: json.RawMessage(`{}`)}
	if err := streetdesk.ValidateMutation(&m); err != nil {
		t.Fatal(err)
	}
	for _, mod := range []func(*streetdesk.Mutation){
		func(m *streetdesk.Mutation) { m.ID = 0 },
		func(m *streetdesk.Mutation) { m.Key = "nope" },
		func(m *streetdesk.Mutation) { m.OrderID = "../x" },
		func(m *streetdesk.Mutation) { m.BaseVersion = -1 },
		func(m *streetdesk.Mutation) { m.Name = "nope" },
	} {
		c := m
		mod(&c)
		if err := streetdesk.ValidateMutation(&c); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
			t.Errorf("%+v: err=%v", c, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a := streetdesk.Mutation{ID: 1, Key: uuid1, Name: streetdesk.MutAddNote, OrderID: "A1", Args: json.RawMessage(`{"noteId":"x", "body":"a"}`)}
	b := a
	b.ID = 7 // a re-enqueued row keeps its fingerprint
	b.Args = json.RawMessage(`{"noteId":"x","body":"a"}`)
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("fingerprint depends on id or whitespace")
	}
	b.Args = json.RawMessage(`{"noteId":"x","body":"b"}`)
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("different payload, same fingerprint")
	}
}

func TestComputeChecksum(t *testing.T) {
	a := streetdesk.ComputeChecksum([]streetdesk.VersionPair{{"B", 2}, {"A", 1}})
	b := streetdesk.ComputeChecksum([]streetdesk.VersionPair{{"A", 1}, {"B", 2}})
	if a != b || a.Count != 2 || !strings.HasPrefix(a.Hash, "sha256:") {
		t.Errorf("checksum order-dependent or malformed: %v %v", a, b)
	}
	if c := streetdesk.ComputeChecksum([]streetdesk.VersionPair{{"A", 1}, {"B", 3}}); c == a {
		t.Error("version change not detected")
	}
}

func TestValidOrderID(t *testing.T) {
	for _, tt := range []struct {
		id string
		ok bool
	}{
		{"SZ12345-20260312-000481", true}, {"WO-2026-000001", true}, {"", false},
		{"../etc/passwd", false}, {"a/b", false}, {"a.b", false}, {strings.Repeat("a", 65), false}, {"工单", false},
	} {
		if got := streetdesk.ValidOrderID(tt.id); got != tt.ok {
			t.Errorf("ValidOrderID(%q)=%v", tt.id, got)
		}
	}
}

func FuzzDecodeArgs(f *testing.F) {
	f.Add(streetdesk.MutAddNote, `{"noteId":"`+uuid1+`","body":"x"}`)
	f.Add(streetdesk.MutAttachPhoto, `{"photoRefId":"`+uuid1+`","sha256":"`+strings.Repeat("a", 64)+`","size":1,"mime":"image/png"}`)
	f.Add(streetdesk.MutSubmitResolution, `{"resolutionId":"`+uuid1+`","outcome":"solved","reply":"`+strings.Repeat("好", 20)+`"}`)
	f.Add(streetdesk.MutRequestExtension, `{"reason":"x","newResolveBy":"2026-01-01T00:00:00Z"}`)
	f.Fuzz(func(t *testing.T, name, args string) {
		v, err := streetdesk.DecodeArgs(name, json.RawMessage(args))
		if err != nil {
			if streetdesk.ErrorCode(err) != streetdesk.EINVALID {
				t.Fatalf("non-EINVALID error %v", err)
			}
			return
		}
		// Whatever decodes must re-encode and decode again to the same validity.
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := streetdesk.DecodeArgs(name, b); err != nil {
			t.Fatalf("re-encoded args rejected: %v (%s)", err, b)
		}
	})
}

// An argument over a limit is an EINVALID error of kind ErrTooLarge, decided
// by type (the platform answers TOO_LARGE); other invalid arguments are not.
func TestDecodeArgsTooLarge(t *testing.T) {
	id := "0190a6b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b"
	for _, tc := range []struct {
		name, args string
		tooLarge   bool
	}{
		{streetdesk.MutAddNote, `{"noteId":"` + id + `","body":"` + strings.Repeat("长", streetdesk.MaxNoteRunes+1) + `"}`, true},
		{streetdesk.MutSubmitResolution, `{"resolutionId":"` + id + `","outcome":"solved","reply":"` + strings.Repeat("好", 20) + `","photoRefIds":[` +
			strings.TrimSuffix(strings.Repeat(`"`+id+`",`, streetdesk.MaxPhotosPerOrder+1), ",") + `]}`, true},
		{streetdesk.MutAddNote, `{"noteId":"` + id + `","body":""}`, false},
		{streetdesk.MutAddNote, `{"noteId":"x","body":"好"}`, false},
	} {
		_, err := streetdesk.DecodeArgs(tc.name, json.RawMessage(tc.args))
		if streetdesk.ErrorCode(err) != streetdesk.EINVALID || errors.Is(err, streetdesk.ErrTooLarge) != tc.tooLarge {
			t.Errorf("%s %.60s…: %v (too large: %v, want %v)", tc.name, tc.args, err, errors.Is(err, streetdesk.ErrTooLarge), tc.tooLarge)
		}
	}
}

func TestArgsText(t *testing.T) {
	for _, tc := range []struct {
		args any
		lang string
		want string
	}{
		{&streetdesk.AddNoteArgs{Body: "现场勘察"}, "zh", "现场勘察"},
		{&streetdesk.SubmitResolutionArgs{Reply: "已清理"}, "zh", "已清理"},
		{&streetdesk.RequestReturnArgs{Reason: streetdesk.ReturnNotOurArea, Text: "属福田区"}, "zh", "属福田区"},
		{&streetdesk.RequestReturnArgs{Reason: streetdesk.ReturnNotOurArea}, "zh", ""},
		{&streetdesk.RequestExtensionArgs{Reason: "需协调"}, "en", "需协调"},
		{&streetdesk.SendBackArgs{Comment: "补充照片"}, "zh", "补充照片"},
		{&streetdesk.AcceptArgs{}, "zh", ""},
		{&streetdesk.ApproveReviewArgs{}, "zh", ""},
	} {
		if got := streetdesk.ArgsText(tc.args); got != tc.want {
			t.Errorf("ArgsText(%T) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
