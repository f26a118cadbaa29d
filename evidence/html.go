package evidence

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// The printable page (order.html) is in Chinese: it is the document a
// street office files or hands over. The on-screen words for the same
// checks live in the UI's translations.

var checkWords = map[streetdesk.EvidenceCode]string{
	streetdesk.EvidenceBeforeDispatch: "拍摄时间 {{taken}} 早于派单时间 {{ref}}（整改后照片可能是旧照片）",
	streetdesk.EvidenceBeforeBefore:   "拍摄时间 {{taken}} 早于整改前照片的拍摄时间 {{ref}}",
	streetdesk.EvidenceFuture:         "拍摄时间 {{taken}} 晚于当时的时间 {{ref}}（相机时钟可能不准，并不说明照片有问题）",
	streetdesk.EvidenceFar:            "拍摄地点距工单地址约 {{dist}}，超出 {{radius}}范围",
	streetdesk.EvidenceNoTime:         "照片没有记录拍摄时间（截图或经聊天软件转发的照片常见）",
	streetdesk.EvidenceNoPlace:        "照片没有记录拍摄地点（或定位为 0,0）",
	streetdesk.EvidenceZoneAssumed:    "照片的拍摄时间未注明时区，已按北京时间理解",
	streetdesk.EvidenceReused:         "同一张照片（SHA-256 相同）已用于其他工单：{{orders}}",
}

// CheckText returns the Chinese sentence of a check, as the page prints it.
func CheckText(c streetdesk.EvidenceCheck) string {
	s, ok := checkWords[c.Code]
	if !ok {
		return string(c.Code)
	}
	return strings.NewReplacer(
		"{{taken}}", cst(c.TakenAt),
		"{{ref}}", cst(c.Reference),
		"{{dist}}", metres(c.DistanceM),
		"{{radius}}", metres(c.RadiusM),
		"{{orders}}", strings.Join(c.Orders, "、"),
	).Replace(s)
}

func metres(m int) string {
	if m >= 1000 {
		return fmt.Sprintf("%.1f 公里", float64(m)/1000)
	}
	return fmt.Sprintf("%d 米", m)
}

func cst(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04:05")
}

type pageData struct {
	P        *Package
	Photos   []pagePhoto
	Warnings int
	Head     string
	Entries  int
	Own      int
}

type pagePhoto struct {
	E      PhotoEntry
	Checks []pageCheck
}

type pageCheck struct {
	Warning     bool
	Text        string
	Explanation string
}

// zh are the words of the package's page, which is in Chinese.
var zh = translation.For(translation.Chinese)

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"cst":     cst,
	"status":  func(s streetdesk.Status) string { return zh.Name(s) },
	"kind":    zh.TimelineKind,
	"tag":     func(t streetdesk.PhotoTag) string { return zh.Name(t) },
	"outcome": func(o streetdesk.Outcome) string { return zh.Name(o) },
	"sync": func(s streetdesk.ItemSync) string {
		switch s {
		case streetdesk.SyncPending, streetdesk.SyncUploading:
			return "待同步"
		case streetdesk.SyncConflict:
			return "需要处理"
		}
		return ""
	},
	"coord": func(lat, lng float64) string {
		if lat == 0 && lng == 0 {
			return "—"
		}
		return fmt.Sprintf("%.6f, %.6f", lat, lng)
	},
}).Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>工单证据包 {{.P.Order.ID}}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; border-bottom: 1px solid #999; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #bbb; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #f2f2f2; width: 9em; } .warn { color: #a33; } .note { color: #666; } .mono { font-family: monospace; font-size: 0.85em; word-break: break-all; }
img { max-width: 320px; max-height: 320px; } .photo { page-break-inside: avoid; margin-bottom: 1em; }
@media print { body { margin: 1cm; } }
</style>
</head>
<body>
<h1>工单证据包：{{.P.Order.ID}}</h1>
<p class="note">导出时间 {{cst .P.CreatedAt}}（北京时间）· 导出人 {{.P.CreatedBy.Name}} · 本机标识 <span class="mono">{{.P.ClientID}}</span></p>

<h2>工单</h2>
<table>
<tr><th>标题</th><td>{{.P.Order.Title}}</td></tr>
<tr><th>状态</th><td>{{status .P.Order.Status}}</td></tr>
<tr><th>诉求内容</th><td>{{.P.Order.Complaint}}</td></tr>
<tr><th>类别</th><td>{{.P.Order.Category.Path}}（{{.P.Order.Category.Department}}）</td></tr>
<tr><th>地址</th><td>{{.P.Order.Location.District}} {{.P.Order.Location.StreetOffice}} {{.P.Order.Location.Community}} {{.P.Order.Location.Address}}（{{coord .P.Order.Location.Lat .P.Order.Location.Lng}}）</td></tr>
<tr><th>诉求人</th><td>{{.P.Order.Citizen.Name}} {{.P.Order.Citizen.Phone}}</td></tr>
<tr><th>承办人</th><td>{{.P.Order.AssigneeName}}</td></tr>
<tr><th>派单时间</th><td>{{cst .P.Order.DispatchedAt}}</td></tr>
<tr><th>办结期限</th><td>{{cst .P.Order.Deadlines.ResolveBy}}</td></tr>
</table>

<h2>时间线</h2>
<table>
<tr><th>时间</th><th>事项</th><th>操作人</th><th>内容</th></tr>
{{range .P.Timeline}}<tr><td>{{cst .At}}</td><td>{{kind .Kind}} {{with sync .Sync}}<span class="note">（{{.}}）</span>{{end}}</td><td>{{.Actor}}</td><td>{{.Text}}</td></tr>
{{end}}</table>

{{if .P.Resolutions}}<h2>办结</h2>
{{range .P.Resolutions}}<table>
<tr><th>时间</th><td>{{cst .CreatedAt}}</td></tr>
<tr><th>结果</th><td>{{outcome .Outcome}}</td></tr>
<tr><th>答复</th><td>{{.Reply}}</td></tr>
<tr><th>照片</th><td>{{len .PhotoRefIDs}} 张</td></tr>
</table>
{{end}}{{end}}

<h2>照片（{{len .Photos}} 张；证据提醒 {{.Warnings}} 条）</h2>
{{range .Photos}}<div class="photo">
<p><b>{{tag .E.Tag}}</b> {{.E.Caption}}</p>
{{if .E.File}}<p><img src="{{.E.File}}" alt="{{.E.SHA256}}"></p>{{else}}<p class="warn">照片文件不在本包中：{{.E.Missing}}</p>{{end}}
<table>
<tr><th>SHA-256</th><td class="mono">{{.E.SHA256}}</td></tr>
<tr><th>拍摄时间</th><td>{{cst .E.Exif.TakenAt}}{{if .E.Exif.ZoneAssumed}}（未注明时区，按北京时间）{{end}}</td></tr>
<tr><th>拍摄地点</th><td>{{coord .E.Exif.Lat .E.Exif.Lng}}</td></tr>
<tr><th>相机</th><td>{{.E.Exif.Camera}}</td></tr>
<tr><th>添加时间</th><td>{{cst .E.CreatedAt}}</td></tr>
{{range .Checks}}<tr><th>{{if .Warning}}<span class="warn">⚠ 提醒</span>{{else}}说明{{end}}</th><td>{{.Text}}{{with .Explanation}}<br>承办人说明：{{.}}{{end}}</td></tr>
{{end}}</table>
</div>
{{end}}

<h2>操作记录链</h2>
<p>本包含操作记录链条目 {{.Entries}} 条（其中本工单 {{.Own}} 条，其余只保留哈希以证明连续），最后一条的哈希：</p>
<p class="mono">{{.Head}}</p>
<p class="note">核验：在任何电脑上运行 <span class="mono">streetdesk evidence verify 本文件.zip</span>，会重新计算所有哈希并指出不一致之处。</p>
</body>
</html>
`))

func renderHTML(p *Package, entries []PhotoEntry) ([]byte, error) {
	d := pageData{P: p, Entries: len(p.Chain), Head: "—"}
	if n := len(p.Chain); n > 0 {
		d.Head = p.Chain[n-1].Hash
	}
	for _, e := range p.Chain {
		if e.Body != nil && e.Kind == streetdesk.ChainKindAction {
			d.Own++
		}
	}
	for _, e := range entries {
		pp := pagePhoto{E: e}
		for _, c := range p.Checks {
			if c.PhotoRefID != e.ID {
				continue
			}
			w := c.Severity == streetdesk.SeverityWarning
			if w {
				d.Warnings++
			}
			pp.Checks = append(pp.Checks, pageCheck{Warning: w, Text: CheckText(c), Explanation: c.Explanation})
		}
		d.Photos = append(d.Photos, pp)
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
