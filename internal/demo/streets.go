// Package demo generates realistic, deterministic Chinese work orders for
// seeds, demos, tests and benchmarks.
package demo

import (
	_ "embed"
	"encoding/csv"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"sync"
)

// Street is one Shenzhen 街道 with the communities the generator places
// orders in. The communities are generated, not official: the NBS community
// table was not in our snapshot.
type Street struct {
	Code         string
	Name         string
	District     string
	DistrictCode string
	Communities  []string
}

//go:embed shenzhen_districts.csv
var districtsCSV string

//go:embed shenzhen_streets.csv
var streetsCSV string

var loadStreets = sync.OnceValue(func() []Street {
	districts := map[string]string{}
	for _, rec := range readCSV(districtsCSV) {
		districts[rec[0]] = rec[1]
	}
	var out []Street
	for _, rec := range readCSV(streetsCSV) {
		code, name, area := rec[0], rec[1], rec[2]
		// 保税区, 合作区 and the airport are coded like streets but are not
		// street offices.
		if !strings.HasSuffix(name, "街道") {
			continue
		}
		out = append(out, Street{
			Code:         code,
			Name:         name,
			District:     districts[area],
			DistrictCode: area,
			Communities:  communities(code, name),
		})
	}
	return out
})

func readCSV(s string) [][]string {
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		panic("demo: embedded table: " + err.Error())
	}
	return recs[1:] // header
}

// Streets returns every Shenzhen 街道 (the 74 street offices of the NBS 2023
// table), each with 4–8 generated community names.
func Streets() []Street {
	src := loadStreets()
	out := make([]Street, len(src))
	for i, s := range src {
		s.Communities = append([]string(nil), s.Communities...)
		out[i] = s
	}
	return out
}

// District returns the streets of one district, e.g. "罗湖区"; nil if unknown.
func District(name string) []Street {
	var out []Street
	for _, s := range Streets() {
		if s.District == name {
			out = append(out, s)
		}
	}
	return out
}

var communityStems = []string{
	"桂园", "松园", "鹿丹", "金湖", "翠北", "翠达", "水库", "新村", "华丽", "凤凰", "南塘", "东晓",
	"独树", "布心", "草埔", "清水", "泥岗", "笋西", "湖景", "景田", "香梅", "梅岭", "上沙", "下沙",
	"海滨", "荔湾", "月亮湾", "南光", "大新", "向南", "渔一", "湾厦", "四海", "龙珠", "白石洲",
	"西丽", "大磡", "平山", "塘朗", "麻磡", "灵芝", "上川", "海裕", "宝民", "流塘", "铁仔", "黄田",
	"凤凰岗", "塘尾", "怀德", "新和", "沙头", "桥头", "福围", "大洋", "万丰", "上星", "碧头", "燕川",
	"石龙", "浪心", "官田", "水田", "罗田", "龙东", "爱联", "南联", "五联", "同乐", "坪西", "盛平",
	"横坪", "六约", "四联", "园山", "大康", "荷坳", "坂田", "象角塘", "岗头", "五和", "南坑", "民乐",
	"白石龙", "牛栏前", "上塘", "三联", "清湖", "松和", "大浪", "同胜", "新石", "观澜", "桂花",
	"樟坑径", "君子布", "六联", "沙湖", "碧岭", "汤坑", "金龟", "田头", "坑梓", "秀新", "沙田",
	"竹坑", "老坑", "光明", "碧眼", "东周", "翠湖", "楼村", "玉律", "红星", "田寮", "长圳", "塘家",
}

// communities returns 4–8 plausible community names for a street, stable for
// its code. The first is named after the street itself (桂园街道 → 桂园社区).
func communities(code, street string) []string {
	h := fnv.New64a()
	h.Write([]byte(code))
	r := rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
	n := 4 + r.IntN(5)
	stem := strings.TrimSuffix(street, "街道")
	out := []string{stem + "社区"}
	seen := map[string]bool{out[0]: true}
	for len(out) < n {
		c := communityStems[r.IntN(len(communityStems))] + "社区"
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// box is a rough WGS-84 bounding box of a district's built-up area.
type box struct{ latMin, latMax, lngMin, lngMax float64 }

var districtBoxes = map[string]box{
	"罗湖区": {22.535, 22.615, 114.090, 114.190},
	"福田区": {22.515, 22.585, 113.990, 114.090},
	"南山区": {22.490, 22.600, 113.890, 113.990},
	"宝安区": {22.560, 22.780, 113.780, 113.920},
	"龙岗区": {22.600, 22.760, 114.100, 114.340},
	"盐田区": {22.560, 22.620, 114.220, 114.320},
	"龙华区": {22.620, 22.750, 113.990, 114.090},
	"坪山区": {22.660, 22.750, 114.310, 114.410},
	"光明区": {22.720, 22.810, 113.880, 113.980},
}

// 大鹏新区's streets are coded under 龙岗区 but lie far to the east.
var streetBoxes = map[string]box{
	"葵涌街道": {22.620, 22.660, 114.400, 114.450},
	"大鹏街道": {22.580, 22.620, 114.460, 114.510},
	"南澳街道": {22.530, 22.570, 114.470, 114.540},
}

// ShenzhenBounds is a box around the whole city that every generated
// location falls in.
const (
	MinLat, MaxLat = 22.44, 22.87
	MinLng, MaxLng = 113.75, 114.63
)

func (s Street) box() box {
	if b, ok := streetBoxes[s.Name]; ok {
		return b
	}
	if b, ok := districtBoxes[s.District]; ok {
		return b
	}
	return box{22.54, 22.56, 114.05, 114.07}
}
