package streetdesk_test

import (
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
)

func TestSampleTaxonomy(t *testing.T) {
	tx := streetdesk.SampleTaxonomy()
	if len(tx.Items) < 40 {
		t.Fatalf("sample has %d items", len(tx.Items))
	}
	noise := 0
	for _, it := range tx.Items {
		if it.L1Name == "噪声污染" {
			noise++
		}
	}
	if noise < 8 {
		t.Errorf("noise splits into %d sources, want ≥ 8", noise)
	}
	it, ok := tx.Lookup("010204")
	if !ok || it.L3Name != "垃圾站夜间作业噪声" || it.Department == "" || it.ResolveWorkdays != 5 {
		t.Errorf("Lookup(010204)=%+v %v", it, ok)
	}
	if it.Path() != "噪声污染 › 社会生活噪声 › 垃圾站夜间作业噪声" {
		t.Errorf("Path=%q", it.Path())
	}
	if c, _ := tx.Lookup("080101"); c.ResolveWorkdays != 1 || c.Kind != streetdesk.KindConsultation {
		t.Errorf("consultation=%+v", c)
	}
	if len(tx.Level1()) < 8 {
		t.Errorf("Level1=%v", tx.Level1())
	}
}

const header = "l1_code,l1_name,l2_code,l2_name,l3_code,l3_name,department,kind,resolve_workdays\n"

func TestLoadTaxonomyCSV(t *testing.T) {
	good := header + "01,噪声,0101,施工,010101,夜间施工,区住建局,complaint,\n01,噪声,0101,施工,010102,设备,区住建局,,7\n"
	tx, err := streetdesk.LoadTaxonomyCSV(strings.NewReader("\ufeff" + good))
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := tx.Lookup("010101"); it.ResolveWorkdays != 5 {
		t.Errorf("default workdays=%d", it.ResolveWorkdays)
	}
	if it, _ := tx.Lookup("010102"); it.ResolveWorkdays != 7 || it.Kind != streetdesk.KindComplaint {
		t.Errorf("item=%+v", it)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"empty", "", "empty file"},
		{"bad header", "a,b,c\n", "line 1"},
		{"short row", header + "01,噪声,0101\n", "line 2"},
		{"bad number", header + "01,噪声,0101,施工,010101,夜间施工,区住建局,complaint,x\n", "line 2"},
		{"bad kind", header + "01,噪声,0101,施工,010101,夜间施工,区住建局,rant,5\n", "line 2"},
		{"empty department", header + "01,噪声,0101,施工,010101,夜间施工,,complaint,5\n", "line 2"},
		{"code not nested", header + "01,噪声,0201,施工,020101,夜间施工,区住建局,complaint,5\n", "line 2"},
		{"duplicate code", good + "01,噪声,0101,施工,010101,又一个,区住建局,complaint,5\n", "line 4"},
		{"out of range", header + "01,噪声,0101,施工,010101,夜间施工,区住建局,complaint,99\n", "line 2"},
		{"bad quote", header + "01,\"噪声,0101\n", "line"},
		{"no items", header, "no items"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := streetdesk.LoadTaxonomyCSV(strings.NewReader(tt.in))
			if err == nil || streetdesk.ErrorCode(err) != streetdesk.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err=%v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}

func TestLoadTaxonomyJSON(t *testing.T) {
	good := `[
  {"l1Code":"01","l1Name":"噪声","l2Code":"0101","l2Name":"施工","l3Code":"010101","l3Name":"夜间施工","department":"区住建局","kind":"complaint","resolveWorkdays":5}
]`
	if _, err := streetdesk.LoadTaxonomyJSON(strings.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"syntax", "[\n{\"l1Code\": \"01\",,}\n]", "line 2"},
		{"type", "[\n{\"l1Code\":\"01\",\n\"resolveWorkdays\":\"five\"}]", "line 3"},
		{"missing field", "[\n{\"l1Code\":\"01\",\"l1Name\":\"a\"},\n{}]", "line 2 (item 1)"},
		{"not array", `{"a":1}`, "line 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := streetdesk.LoadTaxonomyJSON(strings.NewReader(tt.in))
			if err == nil || streetdesk.ErrorCode(err) != streetdesk.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err=%v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}
