package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/streetdesk/streetdesk"
)

// The demo's recurring problems: in a real street office a few places draw
// the same complaint week after week from different neighbours. Three of
// them, so the hotspot view (热点) has something true to show: a garbage
// transfer station that compacts at night (rising), bikes piled at a metro
// exit (new this month) and a drain that overflows after rain (steady, one
// report without coordinates).

type recurringOrder struct {
	days        float64 // dispatched this many days before now
	north, east float64 // metres from the problem's spot
	noXY        bool    // reported without coordinates (placed by address)
	who, phone  string  // the citizen, masked
	status      streetdesk.Status
	title       string
	complaint   string
}

type recurringProblem struct {
	l3        string
	community int        // index into the street's communities
	spot      [2]float64 // fractions of the street's area
	address   func(v *vars) string
	orders    []recurringOrder
}

var recurringProblems = []recurringProblem{
	{l3: "010204", community: 1, spot: [2]float64{0.35, 0.4},
		address: func(v *vars) string { return v.road + v.no + "号" + v.est + "垃圾转运站" },
		orders: []recurringOrder{
			{days: 52, north: 20, east: -10, who: "郑先生", phone: "136****2207", status: streetdesk.StatusClosed,
				title: "垃圾转运站凌晨作业噪声扰民", complaint: "小区旁边的垃圾转运站每天凌晨三四点开始压缩作业，机器轰鸣，吵得睡不着。"},
			{days: 41, north: -30, east: 25, who: "孙女士", phone: "139****6620", status: streetdesk.StatusClosed,
				title: "垃圾站夜间压缩噪声", complaint: "垃圾站晚上作业声音太大，家里老人孩子都被吵醒，希望调整作业时间。"},
			{days: 25, north: 10, east: 0, who: "郑先生", phone: "136****2207", status: streetdesk.StatusReopened,
				title: "垃圾转运站凌晨作业噪声又出现", complaint: "上次反映后安静了一周，现在又是凌晨四点开始作业，问题没有解决。"},
			{days: 19, north: -15, east: -40, who: "王女士", phone: "135****0148", status: streetdesk.StatusClosed,
				title: "垃圾站凌晨作业噪声扰民", complaint: "凌晨垃圾车进出和压缩机声音很大，已经持续一个多月。"},
			{days: 12, north: 45, east: 20, who: "陈先生", phone: "138****7731", status: streetdesk.StatusResolved,
				title: "垃圾车凌晨清运噪声", complaint: "每天凌晨垃圾车倒车提示音和装卸声吵醒整栋楼，请尽快处理。"},
			{days: 7, north: -5, east: 30, who: "赵女士", phone: "137****5092", status: streetdesk.StatusAccepted,
				title: "垃圾转运站夜间噪声扰民", complaint: "晚上十二点以后垃圾站还在作业，噪声超过六十分贝，严重影响休息。"},
			{days: 3, north: 25, east: -25, who: "刘先生", phone: "186****3318", status: streetdesk.StatusAccepted,
				title: "垃圾站凌晨作业扰民", complaint: "住在垃圾站对面，凌晨三点就开始作业，窗户关着也很吵。"},
			{days: 0.4, north: 0, east: 15, who: "王女士", phone: "135****0148", status: streetdesk.StatusDispatched,
				title: "垃圾转运站凌晨噪声仍未解决", complaint: "反映多次了，今天凌晨又是三点多开始压缩，请相关部门从根本上解决。"},
		}},
	{l3: "030201", community: 2, spot: [2]float64{0.7, 0.62},
		address: func(v *vars) string { return v.road + "地铁站C出口" },
		orders: []recurringOrder{
			{days: 13, north: 0, east: 0, who: "黄先生", phone: "135****4471", status: streetdesk.StatusClosed,
				title: "地铁口共享单车乱停放", complaint: "地铁站C出口早高峰共享单车堆成一片，出站的人只能从车道绕行。"},
			{days: 9, north: 30, east: 15, who: "吴女士", phone: "159****2086", status: streetdesk.StatusResolved,
				title: "共享单车堵塞地铁出口", complaint: "C出口的盲道和台阶全被单车占了，推婴儿车根本过不去。"},
			{days: 6, north: -20, east: 35, who: "林先生", phone: "133****9015", status: streetdesk.StatusAccepted,
				title: "地铁口单车堆放影响通行", complaint: "每天早上八点左右单车堆满出口，希望设置停放区并安排清运。"},
			{days: 2, north: 10, east: -30, who: "黄先生", phone: "135****4471", status: streetdesk.StatusAccepted,
				title: "地铁口共享单车又堆满了", complaint: "上次清理后没两天又堆满了，能不能划定停放区域或者限制投放。"},
			{days: 0.2, north: -35, east: -5, who: "何女士", phone: "150****6623", status: streetdesk.StatusDispatched,
				title: "共享单车占用地铁出口", complaint: "今天早高峰C出口又被单车堵住，有老人差点摔倒。"},
		}},
	{l3: "040103", community: 0, spot: [2]float64{0.22, 0.78},
		address: func(v *vars) string { return v.road + "与" + v.road2 + "交叉口" },
		orders: []recurringOrder{
			{days: 55, north: 0, east: 20, who: "冯先生", phone: "138****1029", status: streetdesk.StatusClosed,
				title: "下雨后下水道冒水", complaint: "一下雨路口的下水道就往外冒污水，路面积水很深，味道很大。"},
			{days: 47, north: 20, east: 0, who: "蒋女士", phone: "139****3352", status: streetdesk.StatusClosed,
				title: "路口下水道堵塞冒溢", complaint: "路口雨水井堵塞，下雨时污水漫到人行道上。"},
			{days: 38, north: -10, east: -20, who: "韩先生", phone: "137****8840", status: streetdesk.StatusClosed,
				title: "下水道反涌污水", complaint: "暴雨后下水道反涌，附近商铺门口都是污水。"},
			{days: 33, north: 15, east: 15, who: "冯先生", phone: "138****1029", status: streetdesk.StatusClosed,
				title: "下水道又堵了", complaint: "之前反映过的下水道又堵了，下雨就冒水。"},
			{days: 24, north: 5, east: -15, who: "曹女士", phone: "158****7714", status: streetdesk.StatusClosed,
				title: "路口积水下水道冒溢", complaint: "路口下水道井盖往外冒水，积水没过脚踝。"},
			{days: 16, noXY: true, who: "彭先生", phone: "186****2257", status: streetdesk.StatusResolved,
				title: "下水道堵塞污水外溢", complaint: "下水道堵塞，污水从井盖冒出来，请尽快疏通。"},
			{days: 8, north: -20, east: 10, who: "蒋女士", phone: "139****3352", status: streetdesk.StatusReopened,
				title: "下水道冒溢问题反复", complaint: "疏通后没几天又冒水，希望彻底改造管网。"},
			{days: 1, north: 10, east: 25, who: "邓女士", phone: "135****6187", status: streetdesk.StatusAccepted,
				title: "下雨后路口下水道冒水", complaint: "昨晚下雨路口又冒水了，电动车过不去。"},
		}},
}

// Recurring returns the recurring problems placed in st, with full
// timelines as Order gives them. Their IDs end in R00001… so they never
// meet the numbered orders.
func (g *Generator) Recurring(st Street) []streetdesk.WorkOrder {
	var out []streetdesk.WorkOrder
	k := 0
	for pi, p := range recurringProblems {
		item, ok := g.tax.Lookup(p.l3)
		if !ok {
			panic("demo: recurring problem with unknown category " + p.l3)
		}
		// One place per problem: the same road, number and estate for all.
		pv := g.vars(g.rng(uint64(pi), 0x7265), item, st)
		comm := st.Communities[p.community%len(st.Communities)]
		address := p.address(pv)
		lat0, lng0 := streetPoint(st, p.spot[0], p.spot[1])
		for _, ro := range p.orders {
			k++
			r := g.rng(uint64(k), 0x7266)
			v := g.vars(r, item, st)
			o := streetdesk.WorkOrder{
				Title: ro.title, Complaint: ro.complaint, Channel: streetdesk.ChannelHotline, Category: item.Category,
				Urgency: streetdesk.UrgencyNormal, Status: ro.status,
				Location: streetdesk.Location{District: st.District, StreetOffice: st.Name, Community: comm, Address: address},
				Citizen:  streetdesk.Citizen{Name: ro.who, Phone: ro.phone},
			}
			if k%3 == 0 {
				o.Channel = streetdesk.ChannelMiniProgram
			}
			if !ro.noXY {
				o.Location.Lat, o.Location.Lng = offset(lat0, lng0, ro.north, ro.east)
			}
			kinds, cycles := historyKinds(r, o.Status)
			age := time.Duration(ro.days * 24 * float64(time.Hour))
			g.fillTimeline(rand.New(rand.NewPCG(r.Uint64(), 1)), &o, item, v, kinds, cycles, pick(r, caseworkers), age)
			o.Version = int64(len(o.History))
			o.ID = fmt.Sprintf("SZ12345-%s-R%05d", o.DispatchedAt.In(streetdesk.ChinaTZ).Format("20060102"), k)
			out = append(out, o)
		}
	}
	return out
}

// offset moves (lat, lng) north and east by metres.
func offset(lat, lng, north, east float64) (float64, float64) {
	const m = 6_371_008.8 * math.Pi / 180
	return round6(lat + north/m), round6(lng + east/(m*math.Cos(lat*math.Pi/180)))
}
