package platform_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// TestTrackInBrowser drives Debian's chromium headless through the DevTools
// protocol over a pipe (--remote-debugging-pipe: NUL-separated JSON on fds
// 3 and 4, no WebSocket, no dependency): at a phone's 390×844 it looks an
// order up, sees the steps, rates it 不满意 and checks on the platform that
// it reopened. The page after the look-up is written to
// build/track/track-390x844.png and compared with the golden
// testdata/track/track-390x844.png within a tolerance (a changed page fails
// and writes testdata/failed/track-390x844.png: look at it, then copy it
// over the golden).
func TestTrackInBrowser(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (scripts/deps.sh installs it)")
	}
	e := newEnv(t)
	const id = "SZ12345-20261123-000042"
	if _, err := e.centre.Dispatch(context.Background(), streetdesk.DispatchRequest{ID: id,
		Title: "人行道井盖缺失", Complaint: "桂园路口人行道井盖缺失，夜间行人容易踩空，请尽快处理。",
		Channel: streetdesk.ChannelHotline, CategoryL3: sampleL3(), CitizenName: "张三", CitizenPhone: "13812345678",
		Urgency: streetdesk.UrgencyNormal, TeamID: "teamA", AssigneeID: "cw01",
		Location: streetdesk.Location{StreetOffice: "桂园街道", Address: "桂园路1号", Lat: 22.54, Lng: 114.11},
	}); err != nil {
		t.Fatal(err)
	}
	c := e.client("cw01")
	o := e.order(id)
	c.pushOne(c.mut(streetdesk.MutAccept, o, nil))
	e.clock.Add(3 * time.Hour)
	photo, err := os.ReadFile("../testdata/photos/cameras/Canon_40D.jpg")
	if err != nil {
		t.Fatal(err)
	}
	e.upload("cw01", photo)
	ref := newID()
	o = e.order(id)
	c.pushOne(c.mut(streetdesk.MutAttachPhoto, o, streetdesk.AttachPhotoArgs{PhotoRefID: ref, SHA256: shaHex(photo),
		Size: int64(len(photo)), MIME: "image/jpeg", Tag: streetdesk.PhotoAfter}))
	res := goodResolution(ref)
	res.PublishPhotoRefIDs = []string{ref}
	if r := c.pushOne(c.mut(streetdesk.MutSubmitResolution, e.order(id), res)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve: %+v", r)
	}

	b := startChromium(t, bin)
	page := b.page()
	page.call("Network.enable", nil)
	page.call("Network.setExtraHTTPHeaders", map[string]any{"headers": map[string]string{"Accept-Language": "zh-CN,zh;q=0.9"}})
	page.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true})
	page.call("Page.enable", nil)
	page.load(func() { page.call("Page.navigate", map[string]any{"url": e.ts.URL + "/track"}) })
	if txt := page.text(); !strings.Contains(txt, "来电手机号后四位") {
		t.Fatalf("form page:\n%s", txt)
	}
	writeShot("track-form-390x844.png", page.screenshot())
	page.load(func() {
		page.eval(`document.getElementById('order').value = '` + strings.ToLower(id) + `';
			document.getElementById('phone4').value = '5678';
			document.querySelector('form').submit()`)
	})
	txt := page.text()
	for _, want := range []string{"已受理", "已派至桂园街道", "处理中", "已办结", "回访", "桂园街道承办人", "138****5678", "已安排维修人员更换井盖", "不满意"} {
		if !strings.Contains(txt, want) {
			t.Errorf("page lacks %q:\n%s", want, txt)
		}
	}
	// The stylesheet and the published photo loaded under the page's CSP.
	if got := page.eval(`[getComputedStyle(document.querySelector('header')).backgroundColor, document.querySelector('.photos img') && document.querySelector('.photos img').naturalWidth > 0].join(' ')`); got != "rgb(179, 38, 30) true" {
		t.Errorf("style and photo: %q", got)
	}
	shot := page.screenshot()
	compareGolden(t, "track-390x844.png", shot)

	page.load(func() {
		page.eval(`document.querySelector('input[value=dissatisfied]').checked = true;
			document.getElementById('comment').value = '井盖还是松动，踩上去会响';
			document.querySelector('form[action="/track/rate"]').submit()`)
	})
	if txt := page.text(); !strings.Contains(txt, "感谢您的评价") || !strings.Contains(txt, "工单已重新办理") {
		t.Errorf("after rating:\n%s", txt)
	}
	writeShot("track-rated-390x844.png", page.screenshot())
	got := e.order(id)
	if got.Status != streetdesk.StatusReopened || got.ReopenReason != "井盖还是松动，踩上去会响" || got.Cycle != 1 {
		t.Fatalf("on the platform: %s %q cycle %d", got.Status, got.ReopenReason, got.Cycle)
	}
}

// writeShot keeps a screenshot in build/track for people to look at.
func writeShot(name string, shot []byte) string {
	out := filepath.Join("..", "build", "track")
	if err := os.MkdirAll(out, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(out, name), shot, 0o644) // best effort: only for looking at
	}
	return filepath.Join(out, name)
}

// compareGolden writes the screenshot into build/track and compares it with
// the golden: at most 1% of the pixels may differ by more than 48 in a
// channel (anti-aliasing, a font hinted otherwise).
func compareGolden(t *testing.T, name string, shot []byte) {
	t.Helper()
	written := writeShot(name, shot)
	got, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if sz := got.Bounds().Size(); sz.X != 390 || sz.Y != 844 {
		t.Fatalf("screenshot %v, want 390×844", sz)
	}
	golden := filepath.Join("testdata", "track", name)
	f, err := os.Open(golden)
	if err != nil {
		t.Fatalf("no golden %s (%v): look at %s and copy it there", golden, err, written)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if n, total := pixelDiff(got, want); n*100 > total {
		failed := filepath.Join("testdata", "failed")
		_ = os.MkdirAll(failed, 0o755)
		_ = os.WriteFile(filepath.Join(failed, name), shot, 0o644)
		t.Errorf("screenshot differs from %s in %d of %d pixels; written to %s", golden, n, total, filepath.Join(failed, name))
	}
}

func pixelDiff(a, b image.Image) (n, total int) {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return ab.Dx() * ab.Dy(), ab.Dx() * ab.Dy()
	}
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			if max(absDiff(r1, r2), absDiff(g1, g2), absDiff(b1, b2)) > 48<<8 {
				n++
			}
		}
	}
	return n, ab.Dx() * ab.Dy()
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// browser is a headless chromium spoken to over the DevTools pipe.
type browser struct {
	t       *testing.T
	w       io.Writer
	mu      sync.Mutex
	next    int
	pending map[int]chan cdpMsg
	events  chan cdpMsg
}

type cdpMsg struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	Result    json.RawMessage `json:"result"`
	Params    json.RawMessage `json:"params"`
	SessionID string          `json:"sessionId"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startChromium(t *testing.T, bin string) *browser {
	t.Helper()
	toChrome, chromeIn, err := os.Pipe() // chrome reads fd 3
	if err != nil {
		t.Fatal(err)
	}
	chromeOut, fromChrome, err := os.Pipe() // chrome writes fd 4
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
		"--user-data-dir="+t.TempDir(), "--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-sync", "--hide-scrollbars", "--mute-audio",
		"--force-device-scale-factor=1", "--font-render-hinting=none", "--window-size=390,844", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toChrome.Close()
	fromChrome.Close()
	b := &browser{t: t, w: chromeIn, pending: map[int]chan cdpMsg{}, events: make(chan cdpMsg, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := bufio.NewReader(chromeOut)
		for {
			line, err := r.ReadBytes(0)
			if err != nil {
				return
			}
			var m cdpMsg
			if json.Unmarshal(line[:len(line)-1], &m) != nil {
				continue
			}
			if m.ID != 0 {
				b.mu.Lock()
				ch := b.pending[m.ID]
				delete(b.pending, m.ID)
				b.mu.Unlock()
				if ch != nil {
					ch <- m
				}
				continue
			}
			select {
			case b.events <- m:
			default: // nobody waits for this many events
			}
		}
	}()
	t.Cleanup(func() {
		b.send("", "Browser.close", nil)
		chromeIn.Close()
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-waited
		}
		chromeOut.Close()
		<-done
	})
	return b
}

func (b *browser) send(session, method string, params any) chan cdpMsg {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpMsg, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, _ := json.Marshal(msg)
	if _, err := b.w.Write(append(data, 0)); err != nil {
		b.t.Logf("cdp %s: %v", method, err)
	}
	return ch
}

func (b *browser) call(session, method string, params any) json.RawMessage {
	b.t.Helper()
	select {
	case m := <-b.send(session, method, params):
		if m.Error != nil {
			b.t.Fatalf("cdp %s: %s", method, m.Error.Message)
		}
		return m.Result
	case <-time.After(30 * time.Second):
		b.t.Fatalf("cdp %s: no answer", method)
		return nil
	}
}

// tab is one page target.
type tab struct {
	b       *browser
	session string
}

func (b *browser) page() *tab {
	var tgt struct {
		TargetID string `json:"targetId"`
	}
	_ = json.Unmarshal(b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}), &tgt)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	_ = json.Unmarshal(b.call("", "Target.attachToTarget", map[string]any{"targetId": tgt.TargetID, "flatten": true}), &att)
	return &tab{b: b, session: att.SessionID}
}

func (p *tab) call(method string, params any) json.RawMessage {
	p.b.t.Helper()
	return p.b.call(p.session, method, params)
}

// load runs act and waits for the page it leads to to finish loading.
func (p *tab) load(act func()) {
	p.b.t.Helper()
	for len(p.b.events) > 0 {
		<-p.b.events
	}
	act()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m := <-p.b.events:
			if m.Method == "Page.loadEventFired" && m.SessionID == p.session {
				return
			}
		case <-deadline:
			p.b.t.Fatal("page did not load")
		}
	}
}

// eval runs a script in the page (DevTools evaluation: the page itself
// runs none) and returns its value as text.
func (p *tab) eval(js string) string {
	p.b.t.Helper()
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	_ = json.Unmarshal(p.call("Runtime.evaluate", map[string]any{"expression": js, "returnByValue": true}), &r)
	if r.ExceptionDetails != nil {
		p.b.t.Fatalf("eval %q: %s", js, r.ExceptionDetails.Text)
	}
	if r.Result.Value == nil {
		return ""
	}
	return fmt.Sprint(r.Result.Value)
}

func (p *tab) text() string { return p.eval(`document.body.innerText`) }

func (p *tab) screenshot() []byte {
	p.b.t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	_ = json.Unmarshal(p.call("Page.captureScreenshot", map[string]any{"format": "png"}), &r)
	b, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		p.b.t.Fatal(err)
	}
	return b
}
