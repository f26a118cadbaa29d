package fakedesk

import (
	"time"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/demo"
)

var taxonomy = streetdesk.SampleTaxonomy()

func category(l3 string) streetdesk.Category {
	it, ok := taxonomy.Lookup(l3)
	if !ok {
		panic("fakedesk: unknown category " + l3)
	}
	return it.Category
}

type sample struct {
	id, title, complaint, l3, community, address string
	lat, lng                                     float64
	citizen, phone                               string
	channel                                      streetdesk.Channel
	urgency                                      streetdesk.Urgency
	status                                       streetdesk.Status
	dispatched                                   time.Duration // before now
	resolveIn                                    time.Duration // after now (negative: overdue)
	supervised                                   bool
	cycle                                        int
}

// Samples returns the hand-written orders every Desk starts with, relative to now.
func Samples(now time.Time, me streetdesk.User) []streetdesk.WorkOrder {
	ss := []sample{
		{id: "SZ12345-20260312-000481", title: "垃圾站凌晨作业噪声扰民", complaint: "凌晨四点垃圾站作业，压缩机噪声很大，已经持续两周，严重影响休息，希望尽快处理。",
			l3: "010204", community: "星河社区", address: "福田区 星湖花园 3栋旁垃圾站", lat: 22.5489, lng: 114.1182, citizen: "李先生", phone: "138****5521",
			channel: streetdesk.ChannelHotline, status: streetdesk.StatusAccepted, dispatched: 26 * time.Hour, resolveIn: -2 * time.Hour, supervised: true},
		{id: "SZ12345-20260312-000502", title: "路灯杆占用人行道", complaint: "建业一路人行道上新立的路灯杆挡住了盲道，轮椅和婴儿车无法通过。",
			l3: "030103", community: "竹园社区", address: "福田区 建业一路 12号对面", lat: 22.5431, lng: 114.0712, citizen: "张女士", phone: "139****1234",
			channel: streetdesk.ChannelMiniProgram, status: streetdesk.StatusDispatched, dispatched: 2 * time.Hour, resolveIn: 7 * time.Hour},
		{id: "SZ12345-20260311-000377", title: "共享单车乱停放堵塞地铁口", complaint: "香蜜湖地铁站B出口每天早高峰共享单车堆满，行人只能走机动车道。",
			l3: "030201", community: "香蜜社区", address: "福田区 香蜜湖地铁站B出口", lat: 22.5402, lng: 114.0321, citizen: "王先生", phone: "135****8890",
			channel: streetdesk.ChannelApp, status: streetdesk.StatusAccepted, dispatched: 20 * time.Hour, resolveIn: 72 * time.Hour},
		{id: "SZ12345-20260312-000519", title: "井盖松动有安全隐患", complaint: "农园路与香梅路交叉口井盖松动，车辆经过时响声很大，担心有人踩空。",
			l3: "030102", community: "农园社区", address: "福田区 农园路与香梅路交叉口", lat: 22.5468, lng: 114.0345, citizen: "陈女士", phone: "186****0071",
			channel: streetdesk.ChannelHotline, urgency: streetdesk.UrgencyUrgent, status: streetdesk.StatusDispatched, dispatched: 30 * time.Minute, resolveIn: 90 * time.Minute},
		{id: "SZ12345-20260309-000154", title: "餐饮油烟扰民", complaint: "楼下新开的烧烤店油烟直排，家里窗户都不敢开。上次处理后又反弹。",
			l3: "070102", community: "香岭社区", address: "福田区 香蜜湖路 香岭大厦底商", lat: 22.5445, lng: 114.0298, citizen: "刘先生", phone: "137****6612",
			channel: streetdesk.ChannelHotline, status: streetdesk.StatusReopened, dispatched: 72 * time.Hour, resolveIn: 30 * time.Hour, cycle: 1},
		{id: "SZ12345-20260310-000233", title: "电动自行车楼道充电", complaint: "12栋2单元楼道里长期有人给电动车充电，电线从窗户拉出来，很危险。",
			l3: "080302", community: "侨香社区", address: "福田区 侨香村 12栋2单元", lat: 22.5523, lng: 114.0251, citizen: "赵女士", phone: "158****4410",
			channel: streetdesk.ChannelWeb, status: streetdesk.StatusExtensionRequested, dispatched: 50 * time.Hour, resolveIn: 5 * time.Hour},
		{id: "SZ12345-20260311-000401", title: "小区绿地违章搭建", complaint: "一楼住户在小区公共绿地上搭建铁皮房，物业劝阻无效。",
			l3: "020302", community: "香蜜社区", address: "福田区 香蜜三村 5栋前绿地", lat: 22.5411, lng: 114.0301, citizen: "孙先生", phone: "133****2290",
			channel: streetdesk.ChannelMayorMail, status: streetdesk.StatusResolved, dispatched: 40 * time.Hour},
		{id: "SZ12345-20260312-000530", title: "咨询老年人助餐点办理", complaint: "想咨询社区老年人助餐点怎么办理，需要带什么材料。",
			l3: "080201", community: "竹园社区", address: "福田区 竹园社区党群服务中心", lat: 22.5450, lng: 114.0700, citizen: "周阿姨", phone: "132****7788",
			channel: streetdesk.ChannelHotline, status: streetdesk.StatusAccepted, dispatched: 3 * time.Hour, resolveIn: 30 * time.Hour},
	}
	out := make([]streetdesk.WorkOrder, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.order(now, me))
	}
	return out
}

func (s sample) order(now time.Time, me streetdesk.User) streetdesk.WorkOrder {
	if s.urgency == "" {
		s.urgency = streetdesk.UrgencyNormal
	}
	disp := now.Add(-s.dispatched).Truncate(time.Minute)
	o := streetdesk.WorkOrder{
		ID: s.id, Title: s.title, Complaint: s.complaint, Channel: s.channel, Category: category(s.l3),
		Location: streetdesk.Location{District: me.District, StreetOffice: me.StreetOffice, Community: s.community, Address: s.address, Lat: s.lat, Lng: s.lng},
		Citizen:  streetdesk.Citizen{Name: s.citizen, Phone: s.phone},
		Urgency:  s.urgency, Status: s.status, TeamID: me.TeamID, Version: 3, Cycle: s.cycle, Supervised: s.supervised,
		DispatchedAt: disp, UpdatedAt: disp,
		Deadlines: streetdesk.Deadlines{AcceptBy: disp.Add(4 * time.Hour), FirstContactBy: disp.Add(8 * time.Hour)},
	}
	if s.resolveIn != 0 {
		o.Deadlines.ResolveBy = now.Add(s.resolveIn).Truncate(time.Minute)
	} else {
		o.Deadlines.ResolveBy = disp.Add(72 * time.Hour)
	}
	if s.status == streetdesk.StatusDispatched && s.resolveIn != 0 {
		// resolveIn is the clock that runs now: accept-by.
		o.Deadlines.AcceptBy = o.Deadlines.ResolveBy
		o.Deadlines.ResolveBy = o.Deadlines.AcceptBy.Add(72 * time.Hour)
	}
	o.History = []streetdesk.Event{{At: disp, Actor: "12345中心", Kind: "dispatch", Text: "派单至" + me.StreetOffice}}
	if s.status != streetdesk.StatusDispatched {
		o.AssigneeID, o.AssigneeName = me.ID, me.Name
		o.AcceptedAt = disp.Add(25 * time.Minute)
		o.History = append(o.History, streetdesk.Event{At: o.AcceptedAt, Actor: me.Name, Kind: string(streetdesk.OpAccept)})
	}
	if s.cycle > 0 {
		o.Rating = streetdesk.RatingDissatisfied
		o.ReopenReason = "油烟仍然很大，问题没有解决"
		o.History = append(o.History,
			streetdesk.Event{At: disp.Add(30 * time.Hour), Actor: me.Name, Kind: string(streetdesk.OpSubmitResolution), Text: "已责令商户加装油烟净化器"},
			streetdesk.Event{At: disp.Add(40 * time.Hour), Actor: "回访员", Kind: "callback", Text: "不满意", Cycle: 0},
			streetdesk.Event{At: disp.Add(40*time.Hour + time.Minute), Actor: "12345中心", Kind: "reopen", Text: o.ReopenReason, Cycle: 1})
	}
	if s.status == streetdesk.StatusExtensionRequested {
		o.ExtensionRequest = &streetdesk.ExtensionRequest{Reason: "需协调供电部门改造充电设施", NewResolveBy: o.Deadlines.ResolveBy.AddDate(0, 0, 7)}
	}
	return o
}

// Generate returns n deterministic orders from internal/demo's generator,
// placed in me's street office and assigned to me once accepted.
func Generate(now time.Time, me streetdesk.User, n int) []streetdesk.WorkOrder {
	if n <= 0 {
		return nil
	}
	g := demo.NewGenerator(1, now)
	var mine []demo.Street
	for _, st := range demo.Streets() {
		if st.Name == me.StreetOffice {
			mine = append(mine, st)
		}
	}
	g = g.WithStreets(mine)
	out := g.Orders(n)
	for i := range out {
		o := &out[i]
		o.TeamID = me.TeamID
		if o.Status != streetdesk.StatusDispatched {
			o.AssigneeID, o.AssigneeName = me.ID, me.Name
		}
	}
	return out
}

// RecurringOrders returns internal/demo's recurring problems placed in me's
// street office: a caseworker gets every other one and the other
// caseworkers the rest; a lead's go round the caseworkers.
func RecurringOrders(now time.Time, me streetdesk.User, members []streetdesk.User) []streetdesk.WorkOrder {
	var st demo.Street
	for _, s := range demo.Streets() {
		if s.Name == me.StreetOffice {
			st = s
		}
	}
	if st.Name == "" {
		return nil
	}
	var others []streetdesk.User
	for _, m := range members {
		if m.ID != me.ID && m.Role == streetdesk.RoleCaseworker {
			others = append(others, m)
		}
	}
	out := demo.NewGenerator(1, now).Recurring(st)
	for k := range out {
		who := me
		switch {
		case me.Role != streetdesk.RoleCaseworker && len(others) > 0:
			who = others[k%len(others)]
		case k%2 == 1 && len(others) > 0:
			who = others[(k/2)%len(others)]
		}
		out[k].TeamID, out[k].AssigneeID, out[k].AssigneeName = me.TeamID, who.ID, who.Name
	}
	return out
}
