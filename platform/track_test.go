package platform_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
)

// citizen is a browser on the progress page: a cookie jar, no redirects
// followed (the test follows them to see each answer).
type citizen struct {
	e    *env
	base string
	hc   *http.Client
	lang string
}

func (e *env) citizen() *citizen {
	jar, _ := cookiejar.New(nil)
	return &citizen{e: e, base: e.ts.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (c *citizen) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// lookup posts the form and, on success, follows the redirect to the page.
func (c *citizen) lookup(order, digits string) (int, string) {
	c.e.t.Helper()
	resp, body := c.do(http.MethodPost, "/track", url.Values{"order": {order}, "phone4": {digits}})
	if resp.StatusCode == http.StatusSeeOther {
		resp, body = c.do(http.MethodGet, resp.Header.Get("Location"), nil)
	}
	return resp.StatusCode, body
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *citizen) rate(page string, rating streetdesk.Rating, comment string, hdr ...string) (*http.Response, string) {
	c.e.t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		c.e.t.Fatalf("no rating form on the page:\n%s", page)
	}
	return c.do(http.MethodPost, "/track/rate", url.Values{"csrf": {m[1]}, "rating": {string(rating)}, "comment": {comment}}, hdr...)
}

// resolvedWithPhotos dispatches an order (citizen phone 13812345678) to
// cw01, who notes, attaches an "after" photo published and one not, and
// resolves it. It returns the order and the photo ids.
func (e *env) resolvedWithPhotos(t testing.TB) (o *streetdesk.WorkOrder, shown, hidden string) {
	o, c := e.acceptedBy("cw01", "teamA")
	c.pushOne(c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "内部备注：施工队长电话13900001111"}))
	shown, hidden = newID(), newID()
	for i, id := range []string{shown, hidden} {
		data := photoBytes(3000, uint64(10+i))
		e.upload("cw01", data)
		c.pushOne(c.mut(streetdesk.MutAttachPhoto, o, streetdesk.AttachPhotoArgs{PhotoRefID: id, SHA256: shaHex(data),
			Size: int64(len(data)), MIME: "image/jpeg", Tag: streetdesk.PhotoAfter}))
	}
	res := goodResolution(shown, hidden)
	res.PublishPhotoRefIDs = []string{shown}
	if r := c.pushOne(c.mut(streetdesk.MutSubmitResolution, e.order(o.ID), res)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve: %+v", r)
	}
	return e.order(o.ID), shown, hidden
}

func TestTrackShowsProgressAndNothingElse(t *testing.T) {
	e := newEnv(t)
	o, shown, hidden := e.resolvedWithPhotos(t)
	c := e.citizen()

	resp, form := c.do(http.MethodGet, "/track", nil)
	if resp.StatusCode != 200 || !strings.Contains(form, `name="phone4"`) || strings.Contains(form, "<script") {
		t.Fatalf("form: %d\n%s", resp.StatusCode, form)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
		"Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	// No resource from anywhere else.
	if m := regexp.MustCompile(`(?:src|href)="(?:https?:)?//`).FindString(form); m != "" {
		t.Errorf("third-party resource: %s", m)
	}
	if resp, css := c.do(http.MethodGet, "/track/style.css", nil); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || len(css) < 100 {
		t.Errorf("style: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	st, page := c.lookup(strings.ToLower(o.ID), "5678")
	if st != 200 {
		t.Fatalf("lookup: %d\n%s", st, page)
	}
	for _, want := range []string{o.ID, "已受理", "已派至桂园街道", "处理中", "已办结", "回访", "已办结，等待您的评价",
		"承办单位", "桂园街道", "桂园街道承办人", "138****5678", "已安排维修人员更换井盖", "/track/photo/" + shown, `name="rating" value="dissatisfied"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, leak := range []string{"王芳", "cw01", "13812345678", "内部备注", "13900001111", hidden, "张三"} {
		if strings.Contains(page, leak) {
			t.Errorf("page shows %q", leak)
		}
	}
	if resp, _ := c.do(http.MethodGet, "/track/photo/"+shown, nil); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("published photo: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := c.do(http.MethodGet, "/track/photo/"+hidden, nil); resp.StatusCode != 404 {
		t.Errorf("unpublished photo: %d", resp.StatusCode)
	}
	// The photo needs the session of its order.
	if resp, _ := e.citizen().do(http.MethodGet, "/track/photo/"+shown, nil); resp.StatusCode != 404 {
		t.Errorf("photo without a session: %d", resp.StatusCode)
	}
	// English by Accept-Language.
	c.lang = "en-GB,en;q=0.9"
	if _, page := c.do(http.MethodGet, "/track", nil); !strings.Contains(page, "Sent to 桂园街道") || !strings.Contains(page, `lang="en"`) {
		t.Errorf("English page:\n%s", page)
	}
}

// An unknown order, a wrong pair and a malformed number get the same answer.
func TestTrackSameAnswerForUnknownAndWrong(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.citizen()
	answer := func(order, digits string) string {
		st, body := c.lookup(order, digits)
		if st != 200 {
			t.Fatalf("%s/%s: %d", order, digits, st)
		}
		// The typed number is echoed back; take it out to compare.
		return strings.ReplaceAll(body, strings.ToUpper(order), "")
	}
	wrong := answer(o.ID, "0000")
	for _, tc := range [][2]string{{"WO-20261123-FFFFFFFF", "5678"}, {"../etc", "5678"}, {o.ID, "56a8"}, {o.ID, ""}} {
		if got := answer(tc[0], tc[1]); got != wrong {
			t.Errorf("%v answers differently from wrong digits", tc)
		}
	}
	if !strings.Contains(wrong, "工单号或手机号后四位不正确") {
		t.Errorf("answer:\n%s", wrong)
	}
}

// Five wrong digits for an order within an hour lock it — whether it exists
// or not — for the rest of the hour, even with the right digits; failures
// from one address lock it after 30; the counts are in the database.
func TestTrackLockout(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.citizen()
	for i := 0; i < platform.TrackOrderFailures; i++ {
		if st, _ := c.lookup(o.ID, "1111"); st != 200 {
			t.Fatalf("try %d: %d", i, st)
		}
		if st, _ := c.lookup("WO-20261123-00000000", "1111"); st != 200 {
			t.Fatalf("unknown try %d: %d", i, st)
		}
	}
	st, body := c.lookup(o.ID, "5678")
	if st != http.StatusTooManyRequests || !strings.Contains(body, "尝试次数过多，请 60 分钟后再试") {
		t.Fatalf("locked order, right digits: %d\n%s", st, body)
	}
	if st, _ := c.lookup("WO-20261123-00000000", "5678"); st != http.StatusTooManyRequests {
		t.Errorf("locked unknown order: %d", st)
	}
	// Another instance on the database sees the lock.
	if pgOK(t) {
		b := e.twin(t)
		if st, _ := b.citizen().lookup(o.ID, "5678"); st != http.StatusTooManyRequests {
			t.Errorf("other instance: %d", st)
		}
	}
	e.clock.Add(platform.TrackWindow)
	if st, body := c.lookup(o.ID, "5678"); st != 200 || !strings.Contains(body, "已派至桂园街道") {
		t.Fatalf("after the hour: %d", st)
	}

	// From one address: 30 failures on different numbers lock it.
	for i := 0; i < platform.TrackAddrFailures; i++ {
		c.lookup("WO-20261123-"+strings.Repeat(string(rune('A'+i%26)), 4)+itoa(i), "1111")
	}
	if st, _ := c.lookup(o.ID, "5678"); st != http.StatusTooManyRequests {
		t.Errorf("address locked: %d", st)
	}
}

func pgOK(*testing.T) bool { return pgtest.Postgres() }

// Wrong guesses sent all at once, each passing the lock check before any
// failure is counted, still compare the digits at most the limit's times:
// the rest are answered as locked.
func TestTrackLockoutHoldsForParallelGuesses(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	const n = 30
	codes := make(chan int, n)
	var wg gosync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.PostForm(e.ts.URL+"/track", url.Values{"order": {o.ID}, "phone4": {"1111"}})
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	compared := 0
	for c := range codes {
		switch c {
		case http.StatusOK:
			compared++
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		default:
			t.Errorf("status %d", c)
		}
	}
	if compared > platform.TrackOrderFailures {
		t.Fatalf("%d parallel guesses were compared, the limit is %d", compared, platform.TrackOrderFailures)
	}
	if st, _ := e.citizen().lookup(o.ID, "5678"); st != http.StatusTooManyRequests {
		t.Errorf("after the burst the right digits: %d, want locked", st)
	}
}

// 不满意 on the page reopens the order through the callback path with the
// citizen's words as the reason, once per round; the form needs its CSRF
// token and a same-site post.
func TestTrackRatingReopensOncePerRound(t *testing.T) {
	e := newEnv(t)
	o, _, _ := e.resolvedWithPhotos(t)
	c := e.citizen()
	_, page := c.lookup(o.ID, "5678")

	// Without the token, with another's token, from another site: refused.
	if resp, _ := c.do(http.MethodPost, "/track/rate", url.Values{"rating": {"dissatisfied"}, "comment": {"x"}}); resp.StatusCode != 403 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	other := e.citizen()
	if resp, _ := other.rate(page, streetdesk.RatingSatisfied, ""); resp.StatusCode != 403 {
		t.Errorf("token without its cookie: %d", resp.StatusCode)
	}
	if resp, _ := c.rate(page, streetdesk.RatingSatisfied, "", "Origin", "https://evil.example"); resp.StatusCode != 403 {
		t.Errorf("cross-site post: %d", resp.StatusCode)
	}
	if resp, body := c.rate(page, streetdesk.RatingDissatisfied, ""); resp.StatusCode != 400 || !strings.Contains(body, "请写下不满意的原因") {
		t.Errorf("dissatisfied without a reason: %d", resp.StatusCode)
	}
	if got := e.order(o.ID); got.Status != streetdesk.StatusResolved {
		t.Fatalf("refused ratings changed the order: %s", got.Status)
	}

	reason := "井盖换了但还是松动，踩上去会响"
	first := page
	resp, _ := c.rate(page, streetdesk.RatingDissatisfied, reason)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rate: %d", resp.StatusCode)
	}
	got := e.order(o.ID)
	if got.Status != streetdesk.StatusReopened || got.Cycle != 1 || got.ReopenReason != reason || got.Rating != streetdesk.RatingDissatisfied {
		t.Fatalf("after 不满意: %s cycle %d reason %q rating %q", got.Status, got.Cycle, got.ReopenReason, got.Rating)
	}
	_, page = c.do(http.MethodGet, "/track?done=rated", nil)
	for _, want := range []string{"感谢您的评价", "您的评价：不满意。工单已重新办理", "第 2 次办理", "处理中"} {
		if !strings.Contains(page, want) {
			t.Errorf("after rating, page lacks %q", want)
		}
	}
	if strings.Contains(page, `name="rating"`) {
		t.Error("rating offered again in the same round")
	}
	// A second post of the same form is refused, nothing changes.
	if resp, body := c.rate(first, streetdesk.RatingSatisfied, ""); resp.StatusCode != 400 || !strings.Contains(body, "已评价过") {
		t.Errorf("second rating: %d", resp.StatusCode)
	}
	if again := e.order(o.ID); again.Version != got.Version {
		t.Errorf("second rating changed the order")
	}

	// The next round is resolved again; the callback agent may still record
	// the callback itself.
	cw := e.client("cw01")
	cw.pushOne(cw.mut(streetdesk.MutSubmitResolution, got, goodResolution()))
	if _, err := e.centreAs("callback").Callback(context.Background(), o.ID, streetdesk.RatingSatisfied, "电话回访满意"); err != nil {
		t.Fatal(err)
	}
	_, page = c.do(http.MethodGet, "/track", nil)
	if !strings.Contains(page, "已回访，办理完毕") || !strings.Contains(page, "回访结果：满意") {
		t.Errorf("after the agent's callback:\n%s", page)
	}
	// The session expires.
	e.clock.Add(31 * time.Minute)
	if _, page := c.do(http.MethodGet, "/track", nil); !strings.Contains(page, `name="phone4"`) {
		t.Error("session did not expire")
	}
}

// TestTrackAgentOverridesCitizen: after the citizen's own 满意 closed the
// order on the page, the callback agent's callback still counts within the
// callback window — 不满意 reopens it, another rating replaces the
// citizen's — once, and never after the window or over the agent's own.
func TestTrackAgentOverridesCitizen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	agent := e.centreAs("callback")
	rateSatisfied := func() (*streetdesk.WorkOrder, *citizen) {
		t.Helper()
		o, _, _ := e.resolvedWithPhotos(t)
		c := e.citizen()
		_, page := c.lookup(o.ID, "5678")
		if resp, _ := c.rate(page, streetdesk.RatingSatisfied, "很好"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rate: %d", resp.StatusCode)
		}
		got := e.order(o.ID)
		if got.Status != streetdesk.StatusClosed || got.CitizenRatedAt.IsZero() {
			t.Fatalf("after the citizen's 满意: %s, citizenRatedAt %v", got.Status, got.CitizenRatedAt)
		}
		return got, c
	}

	// 不满意 on the phone reopens the order the citizen closed.
	o, c := rateSatisfied()
	e.clock.Add(10 * time.Minute)
	if _, err := agent.Callback(ctx, o.ID, streetdesk.RatingDissatisfied, "电话回访：井盖仍松动"); err != nil {
		t.Fatal(err)
	}
	got := e.order(o.ID)
	if got.Status != streetdesk.StatusReopened || got.Cycle != o.Cycle+1 || got.ReopenReason != "电话回访：井盖仍松动" || !got.CitizenRatedAt.IsZero() {
		t.Fatalf("after the agent's 不满意: %s cycle %d reason %q", got.Status, got.Cycle, got.ReopenReason)
	}
	if last := got.History[len(got.History)-1]; last.Kind != string(streetdesk.OpReopen) || last.Actor != "回访员" {
		t.Errorf("history: %+v", last)
	}
	_, page := c.do(http.MethodGet, "/track", nil)
	if !strings.Contains(page, "您的评价：满意。回访员电话回访后，工单已重新办理。") || strings.Contains(page, `name="rating"`) {
		t.Errorf("page after the override:\n%s", page)
	}

	// Another rating replaces the citizen's; it is final.
	o, c = rateSatisfied()
	if _, err := agent.Callback(ctx, o.ID, streetdesk.RatingBasically, "电话回访"); err != nil {
		t.Fatal(err)
	}
	if got := e.order(o.ID); got.Status != streetdesk.StatusClosed || got.Rating != streetdesk.RatingBasically || !got.CitizenRatedAt.IsZero() {
		t.Fatalf("after the agent's 基本满意: %s %s", got.Status, got.Rating)
	}
	_, page = c.do(http.MethodGet, "/track", nil)
	if !strings.Contains(page, "您的评价：满意。回访员电话回访后记为：基本满意") {
		t.Errorf("page after the re-rating:\n%s", page)
	}
	st, body := e.call(http.MethodPost, "/v1/centre/orders/"+o.ID+"/callback", e.token("callback"),
		streetdesk.CallbackRequest{Rating: streetdesk.RatingDissatisfied, Comment: "再改"}, nil)
	if st != http.StatusConflict {
		t.Errorf("second override: %d %s", st, body)
	}

	// Nobody but the callback role overrides.
	o, _ = rateSatisfied()
	st, _ = e.call(http.MethodPost, "/v1/centre/orders/"+o.ID+"/callback", e.token("dispatcher"),
		streetdesk.CallbackRequest{Rating: streetdesk.RatingDissatisfied, Comment: "派单员"}, nil)
	if st != http.StatusForbidden {
		t.Errorf("dispatcher: %d", st)
	}
	if got := e.order(o.ID); got.Status != streetdesk.StatusClosed {
		t.Fatalf("refused overrides changed the order: %s", got.Status)
	}

	// The agent's own callback cannot pass for the citizen's: the marker is
	// no field of the request (refused as unknown), and the agent's rating
	// leaves no room for an override.
	o, _, _ = e.resolvedWithPhotos(t)
	st, body = e.call(http.MethodPost, "/v1/centre/orders/"+o.ID+"/callback", e.token("callback"),
		map[string]any{"rating": "satisfied", "ByCitizen": true}, nil)
	if st != http.StatusBadRequest || e.order(o.ID).Status != streetdesk.StatusResolved {
		t.Fatalf("a callback claiming to be the citizen's: %d %s", st, body)
	}
	if _, err := agent.Callback(ctx, o.ID, streetdesk.RatingSatisfied, "电话回访"); err != nil {
		t.Fatal(err)
	}
	if got := e.order(o.ID); got.Status != streetdesk.StatusClosed || !got.CitizenRatedAt.IsZero() {
		t.Fatalf("agent's callback: %s, citizenRatedAt %v", got.Status, got.CitizenRatedAt)
	}
	if _, err := agent.Callback(ctx, o.ID, streetdesk.RatingDissatisfied, "改"); err == nil {
		t.Fatal("the agent overrode its own callback")
	}
	// After the window the citizen's rating stands.
	o, _ = rateSatisfied()
	e.clock.Add(streetdesk.CallbackOverrideWindow + time.Minute)
	e.mu.Lock()
	clear(e.tokens) // expired meanwhile
	e.mu.Unlock()
	st, body = e.call(http.MethodPost, "/v1/centre/orders/"+o.ID+"/callback", e.token("callback"),
		streetdesk.CallbackRequest{Rating: streetdesk.RatingDissatisfied, Comment: "太迟"}, nil)
	if st != http.StatusConflict {
		t.Errorf("after the window: %d %s", st, body)
	}
}

// TestOrderIDCase: an id the centre gives in lower case is kept upper case,
// and every place where one is typed finds it whatever its case: the
// tracking page, Open311, the centre's endpoints; a second id differing only
// in case is the same id.
func TestOrderIDCase(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	req := streetdesk.DispatchRequest{ID: " sz12345-20261202-000429 ", Title: "路灯不亮", Complaint: "桂园路路灯连续三晚不亮。",
		Channel: streetdesk.ChannelHotline, CategoryL3: sampleL3(), CitizenName: "张三", CitizenPhone: "13812345678",
		Urgency: streetdesk.UrgencyNormal, TeamID: "teamA", AssigneeID: "cw01",
		Location: streetdesk.Location{Address: "桂园路1号", Lat: 22.54, Lng: 114.11}}
	o, err := e.centre.Dispatch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	const id = "SZ12345-20261202-000429"
	if o.ID != id {
		t.Fatalf("stored id %q, want %q", o.ID, id)
	}
	req.ID = id
	if _, err := e.centre.Dispatch(ctx, req); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("the same id in another case: %v, want a conflict", err)
	}
	for _, typed := range []string{"sz12345-20261202-000429", "Sz12345-20261202-000429", " " + id + " "} {
		if st, page := e.citizen().lookup(typed, "5678"); st != http.StatusOK || !strings.Contains(page, id) || !strings.Contains(page, "路灯不亮") {
			t.Errorf("track %q: %d", typed, st)
		}
		if st, body := e.open311("requests/" + strings.TrimSpace(strings.ToLower(typed)) + ".json"); st != http.StatusOK || !strings.Contains(string(body), id) {
			t.Errorf("open311 requests/%s: %d %s", typed, st, body)
		}
		q := url.Values{"service_request_id": {strings.TrimSpace(typed)}}
		if st, body := e.open311("requests.json?" + q.Encode()); st != http.StatusOK || !strings.Contains(string(body), id) {
			t.Errorf("open311 service_request_id=%s: %d %s", typed, st, body)
		}
	}
	if st, body := e.call(http.MethodGet, "/v1/centre/orders/"+strings.ToLower(id), e.token("dispatcher"), nil, nil); st != http.StatusOK {
		t.Errorf("centre order in lower case: %d %s", st, body)
	}
	if _, err := e.centre.Supervise(ctx, strings.ToLower(id), true, "加快"); err != nil {
		t.Errorf("supervise in lower case: %v", err)
	}
	if !e.order(id).Supervised {
		t.Error("not supervised")
	}
}
