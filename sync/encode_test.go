package sync_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// TestClientEncodesAsEncodingJSON: the client encodes request bodies with
// goccy/go-json; for the bodies it sends (a push with awkward arguments and
// its action-log entries, a sign-in) the bytes are encoding/json's.
func TestClientEncodesAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 5, 13, 45, 1, 123456789, streetdesk.ChinaTZ)
	var prev *streetdesk.ChainEntry
	req := streetdesk.PushRequest{PushVersion: 1, SchemaVersion: streetdesk.SchemaVersion, ClientID: "0190f3a2-0000-7000-8000-000000000001"}
	for i, args := range []string{
		`{"noteId":"0190f3a2-0000-7000-8000-0000000000bb","body":"现场 <b>&</b> \"引号\" \\ 换行\n\t\u2028"}`,
		`{ "reason" : "other",  "text" : "" }`,
		`null`,
		`{"resolutionId":"0190f3a2-0000-7000-8000-0000000000cc","outcome":"solved","reply":"已处理完毕，并电话告知市民处理结果。","photoRefIds":[],"evidenceChecks":[{"code":"NO_TIME"}]}`,
	} {
		m := streetdesk.Mutation{ID: int64(i + 1), Key: "0190f3a2-0000-7000-8000-00000000000" + string(rune('a'+i)), Name: streetdesk.MutAddNote,
			OrderID: "SZ12345-20261205-000001", BaseVersion: 3, BaseCycle: 1, Args: json.RawMessage(args), ClientTime: at}
		req.Mutations = append(req.Mutations, m)
		e, err := streetdesk.NewChainEntry(prev, streetdesk.ChainKindAction, req.ClientID, at, streetdesk.ChainActionOf(&m, "cw01"))
		if err != nil {
			t.Fatal(err)
		}
		req.Chain = append(req.Chain, e)
		prev = &req.Chain[len(req.Chain)-1]
	}
	withChecks := req
	withChecks.Mutations = append([]streetdesk.Mutation(nil), req.Mutations...)
	withChecks.Mutations[3].Name = streetdesk.MutSubmitResolution
	withChecks.Mutations[3].EvidenceChecks = []streetdesk.EvidenceCheck{{Code: "NO_TIME", Explanation: "<旧照片> & \"说明\""}}
	// Escapes lengthen what the encoder sized the body for: "<" is six bytes.
	long := req
	long.Mutations = []streetdesk.Mutation{req.Mutations[0]}
	long.Mutations[0].Args = json.RawMessage(`{"body":"` + strings.Repeat("<&>\u2028", 500) + `"}`)
	long.Chain = nil
	for name, body := range map[string]any{
		"push":        &req,
		"push checks": &withChecks,
		"push long":   &long,
		"no chain":    &streetdesk.PushRequest{PushVersion: 2, ClientID: "c", Mutations: req.Mutations[:1]},
		"no mutation": &streetdesk.PushRequest{Mutations: []streetdesk.Mutation{}, Chain: req.Chain[:1]},
		"login":       streetdesk.LoginRequest{Username: "cw01", Password: "p<a>&s\"s"},
		"empty":       &streetdesk.PushRequest{},
	} {
		want, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := gojson.Marshal(body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		if p, ok := body.(*streetdesk.PushRequest); ok {
			got, err := sync.EncodePush(p)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if string(got) != string(want) {
				t.Errorf("%s, pushed:\n got %s\nwant %s", name, got, want)
			}
		}
	}
}

// TestEncodePushKnowsEveryField: the push encoder writes PushRequest's
// fields itself; a new field must be added there (and to the test above).
func TestEncodePushKnowsEveryField(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[streetdesk.PushRequest]().Fields() {
		names = append(names, f.Tag.Get("json"))
	}
	if want := []string{"pushVersion", "schemaVersion", "clientId", "mutations", "chain,omitempty"}; !reflect.DeepEqual(names, want) {
		t.Errorf("PushRequest's fields are %q; encodePush writes %q", names, want)
	}
}
