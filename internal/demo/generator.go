package demo

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
)

// Generator makes work orders. Order(i) depends only on the seed, now, the
// streets and i, so seeds, demos and benchmarks reproduce exactly.
type Generator struct {
	seed    int64
	now     time.Time
	tax     *streetdesk.Taxonomy
	cal     *streetdesk.Calendar
	streets []Street
	itemCum []int // cumulative weights over tax.Items
}

// NewGenerator returns a generator over all Shenzhen streets, the sample duty
// list and the default calendar. Orders are dispatched in the 30 days before now.
func NewGenerator(seed int64, now time.Time) *Generator {
	g := &Generator{
		seed:    seed,
		now:     now,
		tax:     streetdesk.SampleTaxonomy(),
		cal:     streetdesk.DefaultCalendar(),
		streets: Streets(),
	}
	sum := 0
	for _, it := range g.tax.Items {
		w := 2
		switch it.L1Code {
		case "01", "02": // noise and street scene dominate real hotline traffic
			w = 4
		case "09":
			w = 1
		}
		sum += w
		g.itemCum = append(g.itemCum, sum)
	}
	return g
}

// WithStreets returns a copy of g that places orders only in s (e.g. the
// streets of one district). An empty s keeps the current streets.
func (g *Generator) WithStreets(s []Street) *Generator {
	c := *g
	if len(s) > 0 {
		c.streets = append([]Street(nil), s...)
	}
	return &c
}

// Orders returns orders 0..n-1.
func (g *Generator) Orders(n int) []streetdesk.WorkOrder {
	out := make([]streetdesk.WorkOrder, n)
	for i := range out {
		out[i] = g.Order(i)
	}
	return out
}

func (g *Generator) rng(a, b uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.seed)^0x9e3779b97f4a7c15, a*0xbf58476d1ce4e5b9+b))
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// weighted returns the index of a weight, chosen in proportion.
func weighted(r *rand.Rand, w []int) int {
	sum := 0
	for _, x := range w {
		sum += x
	}
	n := r.IntN(sum)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

var (
	channelWeights = []int{55, 18, 7, 8, 4, 8} // order of streetdesk.Channels
	statusWeights  = map[streetdesk.Status]int{
		streetdesk.StatusDispatched:         22,
		streetdesk.StatusAccepted:           30,
		streetdesk.StatusReturnRequested:    3,
		streetdesk.StatusExtensionRequested: 4,
		streetdesk.StatusAwaitingReview:     4,
		streetdesk.StatusResolved:           10,
		streetdesk.StatusReopened:           5,
		streetdesk.StatusClosed:             15,
		streetdesk.StatusReturned:           4,
		streetdesk.StatusCancelled:          3,
	}
	statusCum []int
)

func init() {
	for _, s := range streetdesk.Statuses {
		statusCum = append(statusCum, statusWeights[s])
	}
}

// Order returns the i-th order of the generator.
func (g *Generator) Order(i int) streetdesk.WorkOrder {
	r := g.rng(uint64(i), 1)
	item := g.item(r)
	st := g.streets[r.IntN(len(g.streets))]
	v := g.vars(r, item, st)

	o := streetdesk.WorkOrder{
		Channel:  streetdesk.Channels[weighted(r, channelWeights)],
		Category: item.Category,
		Urgency:  streetdesk.UrgencyNormal,
		Status:   streetdesk.Statuses[weighted(r, statusCum)],
	}
	switch u := r.IntN(100); {
	case u < 3:
		o.Urgency = streetdesk.UrgencyCritical
	case u < 13:
		o.Urgency = streetdesk.UrgencyUrgent
	}
	o.Title = g.title(r, item, v)
	o.Complaint = g.complaint(r, o.Channel, item, v)
	o.Location = streetdesk.Location{
		District:     st.District,
		StreetOffice: st.Name,
		Community:    v.comm,
		Address:      v.road + v.no + "号" + v.est + v.bldg + "栋",
	}
	o.Location.Lat, o.Location.Lng = point(r, st, v.comm)
	sex := "女士"
	if r.IntN(2) == 0 {
		sex = "先生"
	}
	o.Citizen = streetdesk.Citizen{
		Name:  pick(r, surnames) + sex,
		Phone: streetdesk.MaskPhone(fmt.Sprintf("1%d%09d", 3+r.IntN(7), r.IntN(1_000_000_000))),
	}
	g.timeline(r, &o, item, v)
	o.ID = fmt.Sprintf("SZ12345-%s-%06d", o.DispatchedAt.In(streetdesk.ChinaTZ).Format("20060102"), i)
	return o
}

func (g *Generator) item(r *rand.Rand) streetdesk.DutyItem {
	n := r.IntN(g.itemCum[len(g.itemCum)-1])
	for j, c := range g.itemCum {
		if n < c {
			return g.tax.Items[j]
		}
	}
	return g.tax.Items[len(g.tax.Items)-1]
}

// vars holds the values placeholders expand to for one order.
type vars struct {
	dist, street, comm, est, bldg, unit, road, road2, no string
	src, prob, night, early, day, n, dept                string
	r                                                    *rand.Rand
}

func (v *vars) get(k string) string {
	switch k {
	case "dist":
		return v.dist
	case "street":
		return v.street
	case "comm":
		return v.comm
	case "est":
		return v.est
	case "bldg":
		return v.bldg
	case "unit":
		return v.unit
	case "road":
		return v.road
	case "road2":
		return v.road2
	case "no":
		return v.no
	case "src":
		return v.src
	case "prob":
		return v.prob
	case "night":
		return v.night
	case "early":
		return v.early
	case "day":
		return v.day
	case "n":
		return v.n
	case "dept":
		return v.dept
	case "db":
		return strconv.Itoa(55 + v.r.IntN(30))
	case "m":
		return strconv.Itoa(2 + v.r.IntN(60))
	}
	return ""
}

// expand appends tpl to b with {key} placeholders filled from v.
func expand(b *strings.Builder, tpl string, v *vars) {
	for {
		i := strings.IndexByte(tpl, '{')
		if i < 0 {
			b.WriteString(tpl)
			return
		}
		j := strings.IndexByte(tpl[i:], '}')
		if j < 0 {
			b.WriteString(tpl)
			return
		}
		b.WriteString(tpl[:i])
		b.WriteString(v.get(tpl[i+1 : i+j]))
		tpl = tpl[i+j+1:]
	}
}

func expandString(tpl string, v *vars) string {
	var b strings.Builder
	expand(&b, tpl, v)
	return b.String()
}

func (g *Generator) vars(r *rand.Rand, item streetdesk.DutyItem, st Street) *vars {
	roads := districtRoads[st.District]
	if len(roads) == 0 {
		roads = districtRoads["福田区"]
	}
	v := &vars{
		r:      r,
		dist:   st.District,
		street: st.Name,
		comm:   pick(r, st.Communities),
		est:    pick(r, estPrefixes) + pick(r, estSuffixes),
		bldg:   strconv.Itoa(1 + r.IntN(28)),
		unit:   strconv.Itoa(1 + r.IntN(4)),
		road:   pick(r, roads),
		no:     strconv.Itoa(1 + r.IntN(3000)),
		night:  pick(r, nights),
		early:  pick(r, earlies),
		day:    pick(r, days),
		n:      strconv.Itoa(2 + r.IntN(20)),
		dept:   item.Department,
	}
	v.road2 = pick(r, roads)
	if v.road2 == v.road {
		v.road2 = roads[(indexOf(roads, v.road)+1)%len(roads)]
	}
	lf := leaves[item.L3Code]
	if len(lf.src) > 0 {
		v.src = expandString(pick(r, lf.src), v)
	}
	if len(lf.prob) > 0 {
		v.prob = pick(r, lf.prob)
	} else {
		v.prob = item.L3Name
	}
	return v
}

func indexOf(s []string, x string) int {
	for i, y := range s {
		if y == x {
			return i
		}
	}
	return 0
}

func (g *Generator) title(r *rand.Rand, item streetdesk.DutyItem, v *vars) string {
	titles := leaves[item.L3Code].titles
	if len(titles) == 0 {
		titles = level1s[item.L1Code].titles
	}
	if len(titles) == 0 {
		return item.L3Name
	}
	return expandString(pick(r, titles), v)
}

var places = []string{
	"其居住在{dist}{street}{comm}{est}{bldg}栋，",
	"地点位于{dist}{road}{no}号{est}一带，",
	"{dist}{street}{comm}{est}附近，",
	"事发地为{dist}{road}（{est}旁），",
	"",
}

func (g *Generator) complaint(r *rand.Rand, ch streetdesk.Channel, item streetdesk.DutyItem, v *vars) string {
	lf := leaves[item.L3Code]
	l1 := level1s[item.L1Code]
	var b strings.Builder
	b.Grow(512)
	b.WriteString(pick(r, channelOpening[string(ch)]))
	b.WriteString("：")
	expand(&b, pick(r, places), v)
	if len(lf.desc) > 0 {
		expand(&b, pick(r, lf.desc), v)
	} else {
		b.WriteString(item.L3Name)
	}
	b.WriteString("。")
	if item.Kind != streetdesk.KindConsultation && item.Kind != streetdesk.KindSuggestion {
		expand(&b, pick(r, durations), v)
		b.WriteString("，")
	}
	quiet := item.Kind == streetdesk.KindConsultation || item.Kind == streetdesk.KindSuggestion
	if len(l1.impact) > 0 && !quiet {
		if s := pick(r, l1.impact); s != "" {
			expand(&b, s, v)
			b.WriteString("。")
		}
	}
	if len(l1.tried) > 0 && !quiet {
		if s := pick(r, l1.tried); s != "" {
			expand(&b, s, v)
			b.WriteString("。")
		}
	}
	if len(lf.want) > 0 {
		b.WriteString("市民")
		expand(&b, pick(r, lf.want), v)
		b.WriteString("。")
	}
	b.WriteString(pick(r, closings))
	return fixPunct(b.String())
}

// fixPunct tidies joins such as "，。" left by optional sentences.
func fixPunct(s string) string {
	if !strings.Contains(s, "，。") && !strings.Contains(s, "，市民") {
		return s
	}
	s = strings.ReplaceAll(s, "，。", "。")
	return strings.ReplaceAll(s, "，市民", "。市民")
}

// point returns a coordinate in the street's part of its district: each
// street gets a stable sub-box so its orders cluster on a map.
func point(r *rand.Rand, st Street, community string) (lat, lng float64) {
	// Each community has its own spot in its street's area, and its
	// orders gather around it (±15 % of the area), the way a street office's
	// map looks: a community's orders near each other.
	cy, cx := communitySpot(st, community)
	a := clamp01(cy + 0.3*(r.Float64()-0.5))
	b := clamp01(cx + 0.3*(r.Float64()-0.5))
	return streetPoint(st, a, b)
}

// streetPoint returns the point at fractions (a, b) of st's area, which is
// 30 % of its district's box on each side, placed by the street's code.
func streetPoint(st Street, a, b float64) (lat, lng float64) {
	bx := st.box()
	h := fnv.New64a()
	h.Write([]byte(st.Code))
	x := h.Sum64()
	fy := 0.15 + 0.55*float64(x&0xffff)/0xffff
	fx := 0.15 + 0.55*float64((x>>16)&0xffff)/0xffff
	dy, dx := bx.latMax-bx.latMin, bx.lngMax-bx.lngMin
	lat = bx.latMin + dy*(fy+0.3*a)
	lng = bx.lngMin + dx*(fx+0.3*b)
	return round6(lat), round6(lng)
}

// communitySpot is the community's centre as fractions of its street's
// area, stable for the street and the name.
func communitySpot(st Street, community string) (a, b float64) {
	h := fnv.New64a()
	h.Write([]byte(st.Code))
	h.Write([]byte(community))
	x := h.Sum64()
	return 0.15 + 0.7*float64(x&0xffff)/0xffff, 0.15 + 0.7*float64((x>>16)&0xffff)/0xffff
}

func clamp01(f float64) float64 { return min(1, max(0, f)) }

func round6(f float64) float64 { return float64(int64(f*1e6+0.5)) / 1e6 }

var (
	caseworkers = []string{"王芳", "李强", "陈静", "刘洋", "黄丽", "张伟", "林晓", "吴敏", "周杰", "郑燕"}
	actorOf     = map[string]string{
		"dispatch": "12345派单员", "approveReturn": "12345派单员", "cancel": "12345派单员",
		"close": "12345回访员", "reopen": "12345回访员", "supervise": "督办员",
	}
)

// timeline fills the dates, deadlines, history and status details. It picks
// how long ago the order was dispatched so that most open orders are within
// their deadline and some are overdue.
func (g *Generator) timeline(r *rand.Rand, o *streetdesk.WorkOrder, item streetdesk.DutyItem, v *vars) {
	kinds, cycles := historyKinds(r, o.Status)
	supervisable := streetdesk.Can(o.Status, streetdesk.OpSupervise, streetdesk.RoleSupervisor)
	if supervisable && r.IntN(100) < 10 {
		at := 1 + r.IntN(len(kinds))
		kinds = append(kinds[:at], append([]string{"supervise"}, kinds[at:]...)...)
		o.Supervised = true
	}
	wantOverdue := r.IntN(100) < 12
	const month = 30 * 24 * time.Hour
	var age time.Duration
	switch o.Status {
	case streetdesk.StatusDispatched:
		age = time.Duration(5+r.IntN(20*60)) * time.Minute
	case streetdesk.StatusAccepted, streetdesk.StatusReopened, streetdesk.StatusExtensionRequested,
		streetdesk.StatusReturnRequested, streetdesk.StatusAwaitingReview:
		age = time.Duration(1+r.IntN(10*24)) * time.Hour
	default:
		age = time.Duration(6+r.IntN(29*24)) * time.Hour
	}
	worker := pick(r, caseworkers)
	seq := r.Uint64()
	for try := 0; ; try++ {
		g.fillTimeline(rand.New(rand.NewPCG(seq, uint64(try))), o, item, v, kinds, cycles, worker, age)
		over := o.Overdue(g.now)
		if over == wantOverdue || o.CurrentDeadline().IsZero() || try >= 12 {
			break
		}
		if over {
			age /= 2
		} else {
			age = min(month, age*2+24*time.Hour)
		}
	}
	o.Version = int64(len(o.History))
}

// historyKinds lists the events leading to status, and the number of
// reopen rounds.
func historyKinds(r *rand.Rand, s streetdesk.Status) ([]string, int) {
	k := []string{"dispatch"}
	work := func() {
		k = append(k, "recordContact")
		if r.IntN(2) == 0 {
			k = append(k, "addNote")
		}
	}
	resolveRound := func() {
		work()
		if r.IntN(5) == 0 {
			k = append(k, "submitForReview", "approveReview")
		} else {
			k = append(k, "submitResolution")
		}
	}
	cycles := 0
	switch s {
	case streetdesk.StatusAccepted:
		k = append(k, "accept")
		if r.IntN(3) > 0 {
			work()
		}
		if r.IntN(20) == 0 {
			k = append(k, "submitForReview", "sendBack")
		}
	case streetdesk.StatusReturnRequested:
		if r.IntN(2) == 0 {
			k = append(k, "accept")
		}
		k = append(k, "requestReturn")
	case streetdesk.StatusExtensionRequested:
		k = append(k, "accept")
		work()
		k = append(k, "requestExtension")
	case streetdesk.StatusAwaitingReview:
		k = append(k, "accept")
		work()
		k = append(k, "submitForReview")
	case streetdesk.StatusResolved:
		k = append(k, "accept")
		resolveRound()
	case streetdesk.StatusReopened:
		k = append(k, "accept")
		cycles = 1 + r.IntN(5)/4
		for range cycles {
			resolveRound()
			k = append(k, "reopen")
		}
		if r.IntN(2) == 0 {
			k = append(k, "recordContact")
		}
	case streetdesk.StatusClosed:
		k = append(k, "accept")
		if r.IntN(10) == 0 {
			cycles = 1
			resolveRound()
			k = append(k, "reopen")
		}
		resolveRound()
		k = append(k, "close")
	case streetdesk.StatusReturned:
		if r.IntN(2) == 0 {
			k = append(k, "accept")
		}
		k = append(k, "requestReturn", "approveReturn")
	case streetdesk.StatusCancelled:
		if r.IntN(2) == 0 {
			k = append(k, "accept")
		}
		k = append(k, "cancel")
	}
	return k, cycles
}

func (g *Generator) fillTimeline(r *rand.Rand, o *streetdesk.WorkOrder, item streetdesk.DutyItem, v *vars,
	kinds []string, cycles int, worker string, age time.Duration) {
	t0 := g.now.Add(-age).Truncate(time.Second).In(streetdesk.ChinaTZ)
	o.DispatchedAt = t0
	o.Deadlines = g.cal.ComputeDeadlines(t0, item.Limit(), o.Urgency)
	o.AcceptedAt, o.FirstContact = time.Time{}, time.Time{}
	o.Cycle, o.ReopenReason, o.Rating, o.ReviewComment = 0, "", streetdesk.RatingNone, ""
	o.ReturnRequest, o.ExtensionRequest = nil, nil
	o.AwaitingMedia = false

	// Event times: increasing points in (t0, now); acceptance and the first
	// call come within hours, the way caseworkers work.
	span := g.now.Sub(t0) - time.Minute
	if span < time.Minute {
		span = time.Minute
	}
	times := make([]time.Time, len(kinds))
	times[0] = t0
	prev := time.Duration(0)
	for j := 1; j < len(kinds); j++ {
		left := span - prev
		step := time.Duration(r.Float64() * float64(left) / float64(len(kinds)-j+1) * 1.5)
		if k := kinds[j]; k == "accept" || k == "recordContact" && j <= 3 {
			step = min(step, time.Duration(10+r.IntN(6*60))*time.Minute)
		}
		if step < time.Second {
			step = time.Second
		}
		prev += step
		times[j] = t0.Add(prev).Truncate(time.Second)
	}

	o.History = make([]streetdesk.Event, len(kinds))
	cycle := 0
	for j, k := range kinds {
		at := times[j]
		ev := streetdesk.Event{At: at, Kind: k, Cycle: cycle, Actor: worker}
		if a, ok := actorOf[k]; ok {
			ev.Actor = a
		}
		switch k {
		case "dispatch":
			ev.Text = "派单至" + o.Location.StreetOffice
		case "accept":
			o.AcceptedAt = at
		case "recordContact":
			if o.FirstContact.IsZero() {
				o.FirstContact = at
			}
			ev.Text = pick(r, contactTexts)
		case "addNote":
			ev.Text = g.note(r, o, item, v, at)
		case "requestReturn":
			rr := &streetdesk.ReturnRequest{Reason: pick(r, streetdesk.ReturnReasons), Text: pick(r, returnTexts)}
			ev.Value, ev.Text = string(rr.Reason), rr.Text
			if o.Status == streetdesk.StatusReturnRequested {
				o.ReturnRequest = rr
			}
		case "approveReturn":
			ev.Text = "同意退单"
		case "requestExtension":
			er := &streetdesk.ExtensionRequest{Reason: pick(r, extensionReasons),
				NewResolveBy: g.cal.AddWorkdays(o.Deadlines.ResolveBy, 3+r.IntN(8))}
			ev.Text = er.Reason
			o.ExtensionRequest = er
		case "submitResolution", "submitForReview":
			ev.Text = g.reply(r, o, item, v)
			if o.Status == streetdesk.StatusAwaitingReview || o.Status == streetdesk.StatusResolved {
				o.AwaitingMedia = r.IntN(20) == 0
			}
		case "approveReview":
			ev.Actor = "组长"
			ev.Text = "同意签发"
		case "sendBack":
			ev.Actor = "组长"
			o.ReviewComment = pick(r, reviewComments)
			ev.Text = o.ReviewComment
		case "reopen":
			o.ReopenReason = pick(r, reopenReasons)
			ev.Text = "回访不满意：" + o.ReopenReason
			cycle++
			o.Deadlines.ResolveBy = g.cal.ReopenDeadline(at)
		case "close":
			o.Rating = streetdesk.RatingSatisfied
			if r.IntN(10) < 3 {
				o.Rating = streetdesk.RatingBasically
			}
			ev.Value = string(o.Rating)
		case "cancel":
			ev.Text = pick(r, cancelTexts)
		case "supervise":
			ev.Text = "请加快办理并按时反馈"
		}
		o.History[j] = ev
	}
	if o.Status == streetdesk.StatusReopened {
		o.Rating = streetdesk.RatingDissatisfied
	}
	o.Cycle = cycle
	o.UpdatedAt = times[len(times)-1]
}

var (
	contactTexts   = []string{"电话联系市民，已告知将安排现场核查", "电话联系市民，约定上门时间", "电话未接通，已发送短信", "上门与市民面谈，了解具体诉求"}
	cancelTexts    = []string{"市民撤回诉求", "重复工单，撤销", "诉求人表示问题已自行解决"}
	reviewComments = []string{"回复内容过于简单，请补充处理过程", "请补充整改后照片", "请写明后续跟进安排"}
)

// NoteText returns a plausible survey note for o; i varies it.
func (g *Generator) NoteText(o *streetdesk.WorkOrder, i int) string {
	item, v := g.orderVars(o, uint64(i)+100)
	return g.note(v.r, o, item, v, o.UpdatedAt)
}

// ReplyText returns a plausible 办结 reply for o, at least
// streetdesk.MinReplyRunes long.
func (g *Generator) ReplyText(o *streetdesk.WorkOrder) string {
	item, v := g.orderVars(o, 99)
	return g.reply(v.r, o, item, v)
}

// orderVars rebuilds the vocabulary of an existing order deterministically.
func (g *Generator) orderVars(o *streetdesk.WorkOrder, salt uint64) (streetdesk.DutyItem, *vars) {
	h := fnv.New64a()
	h.Write([]byte(o.ID))
	r := g.rng(h.Sum64(), salt)
	item, ok := g.tax.Lookup(o.Category.L3Code)
	if !ok {
		item = streetdesk.DutyItem{Category: o.Category}
	}
	st := Street{Name: o.Location.StreetOffice, District: o.Location.District, Communities: []string{o.Location.Community}}
	if st.Communities[0] == "" {
		st.Communities = []string{"本社区"}
	}
	return item, g.vars(r, item, st)
}

// note writes a survey note as written at the time at (the day it names).
func (g *Generator) note(r *rand.Rand, o *streetdesk.WorkOrder, item streetdesk.DutyItem, v *vars, at time.Time) string {
	l1 := level1s[item.L1Code]
	var b strings.Builder
	day := at
	if day.IsZero() {
		day = g.now
	}
	day = day.In(streetdesk.ChinaTZ)
	fmt.Fprintf(&b, "%d月%d日%s到%s现场勘察：", day.Month(), day.Day(), pick(r, []string{"上午", "下午", "晚上"}), addrOr(o, v))
	if len(l1.notes) > 0 {
		expand(&b, pick(r, l1.notes), v)
		b.WriteString("。")
	}
	b.WriteString(pick(r, []string{"已拍照留存。", "已向周边群众了解情况。", "待与责任单位进一步对接。", "已告知诉求人初步情况。"}))
	return b.String()
}

func addrOr(o *streetdesk.WorkOrder, v *vars) string {
	if o.Location.Address != "" {
		return o.Location.Address
	}
	return v.road + v.no + "号"
}

func (g *Generator) reply(r *rand.Rand, o *streetdesk.WorkOrder, item streetdesk.DutyItem, v *vars) string {
	l1 := level1s[item.L1Code]
	var b strings.Builder
	b.WriteString(pick(r, []string{"您好！关于您反映的", "尊敬的市民：您反映的", "您好，您通过12345反映的"}))
	b.WriteString("“")
	if o.Title != "" {
		b.WriteString(o.Title)
	} else {
		b.WriteString(item.L3Name)
	}
	b.WriteString("”一事，")
	b.WriteString(v.street)
	if item.Kind == streetdesk.KindConsultation {
		b.WriteString("工作人员已查询相关政策和办事指南，")
		b.WriteString(pick(r, []string{"并电话详细解答，告知办理地点、时间和所需材料。", "已电话告知具体办理流程，市民表示清楚。"}))
	} else {
		b.WriteString("高度重视，工作人员及时到现场核查。")
	}
	if len(l1.notes) > 0 && item.Kind != streetdesk.KindConsultation {
		b.WriteString("经查，")
		expand(&b, pick(r, l1.notes), v)
		b.WriteString("。")
	}
	if len(l1.action) > 0 && item.Kind != streetdesk.KindConsultation {
		expand(&b, pick(r, l1.action), v)
		b.WriteString("，")
		expand(&b, pick(r, l1.follow), v)
		b.WriteString("。")
	}
	b.WriteString(pick(r, []string{"感谢您对我们工作的理解和支持！", "如有疑问可再次来电，感谢您的监督。", "已电话告知诉求人处理结果。"}))
	return b.String()
}
