package platform

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/demo"
	"github.com/streetdesk/streetdesk/platform/store"
	"golang.org/x/crypto/bcrypt"
)

// SeedOptions say what Seed creates.
type SeedOptions struct {
	Demo     bool   // teams, accounts and orders of one district (罗湖区); false: teams and accounts only
	Password string // every demo account's password; random when empty (SeedResult.Password)
	Orders   int    // number of orders (default 600)
	Seed     int64  // generator seed (default 1)
}

// SeedResult lists what Seed created.
type SeedResult struct {
	Password string            // the accounts' password (generated when not given)
	Accounts []streetdesk.User // every account, centre accounts last
	Teams    []streetdesk.Team
	Orders   int
}

var (
	teamNames  = []string{"城管组", "综治组", "民生组"}
	teamSlugs  = []string{"cg", "zz", "ms"}
	givenNames = []string{"芳", "强", "静", "洋", "丽", "伟", "晓红", "敏", "杰", "燕", "磊", "婷", "军", "霞", "涛", "娟", "斌", "琳", "鹏", "雪"}
	familyName = []string{"王", "李", "陈", "刘", "黄", "张", "林", "吴", "周", "郑", "赵", "孙", "何", "罗", "梁", "谢", "宋", "唐", "许", "邓", "冯", "曾"}
)

// seedDistrict is the demo's district.
const seedDistrict = "罗湖区"

// Seed fills an empty platform with a demo district: 2–3 teams per street
// office, caseworkers cw01…, leads lead01… (lead01 leads cw01's team), the
// centre accounts dispatcher, callback and supervisor, and opts.Orders orders
// across every state, channel and category with a consistent history. One
// transaction, so 10,000 orders take seconds.
func (s *Server) Seed(ctx context.Context, opts SeedOptions) (*SeedResult, error) {
	if opts.Orders <= 0 {
		opts.Orders = 600
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	res := &SeedResult{Password: opts.Password}
	if res.Password == "" {
		res.Password = newToken()[:16]
	}
	if len(res.Password) < 6 {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "password must be at least 6 characters")
	}
	n, err := s.db.CountUsers(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, streetdesk.Errorf(streetdesk.ECONFLICT, "the platform already has users; seed an empty database")
	}
	streets := demo.District(seedDistrict)
	if len(streets) == 0 {
		return nil, fmt.Errorf("seed: no streets for %s", seedDistrict)
	}
	// One hash for every demo account: they share the password anyway, and
	// bcrypt per account would make seeding slow.
	hash, err := bcrypt.GenerateFromPassword([]byte(res.Password), s.cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	now := s.now()
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	b := &bulk{t: t, ctx: ctx}

	// Teams and people.
	type teamInfo struct {
		team    streetdesk.Team
		lead    streetdesk.User
		members []streetdesk.User
	}
	byOffice := map[string][]*teamInfo{}
	var teams []*teamInfo
	cw, lead := 0, 0
	person := func() string {
		i := cw + lead
		return familyName[(i*7)%len(familyName)] + givenNames[(i*3+i/len(familyName))%len(givenNames)]
	}
	addUser := func(u streetdesk.User) error {
		return t.InsertUsers(ctx, []streetdesk.User{u}, hash, now)
	}
	for si, st := range streets {
		nTeams := 2 + si%2
		for k := 0; k < nTeams; k++ {
			ti := &teamInfo{team: streetdesk.Team{ID: fmt.Sprintf("%s-%s", st.Code, teamSlugs[k]), Name: teamNames[k],
				StreetOffice: st.Name, District: st.District, ReviewResolutions: si == 0 && k == 1}}
			if err := t.PutTeam(ctx, ti.team); err != nil {
				return nil, err
			}
			name := familyName[(lead*5+3)%len(familyName)] + "组长"
			lead++
			ti.lead = streetdesk.User{ID: fmt.Sprintf("lead%02d", lead), Username: fmt.Sprintf("lead%02d", lead), Name: name,
				Role: streetdesk.RoleLead, TeamID: ti.team.ID, TeamName: ti.team.Name, StreetOffice: st.Name, District: st.District}
			if err := addUser(ti.lead); err != nil {
				return nil, err
			}
			res.Accounts = append(res.Accounts, ti.lead)
			size := 3
			if si == 0 && k == 0 {
				size = 4 // cw01's team
			}
			for j := 0; j < size; j++ {
				cw++
				u := streetdesk.User{ID: fmt.Sprintf("cw%02d", cw), Username: fmt.Sprintf("cw%02d", cw), Name: person(),
					Role: streetdesk.RoleCaseworker, TeamID: ti.team.ID, TeamName: ti.team.Name, StreetOffice: st.Name, District: st.District}
				if err := addUser(u); err != nil {
					return nil, err
				}
				ti.members = append(ti.members, u)
				res.Accounts = append(res.Accounts, u)
			}
			teams = append(teams, ti)
			byOffice[st.Name] = append(byOffice[st.Name], ti)
			res.Teams = append(res.Teams, ti.team)
		}
	}
	for _, c := range []streetdesk.User{
		{ID: "dispatcher", Username: "dispatcher", Name: "12345派单员", Role: streetdesk.RoleDispatcher},
		{ID: "callback", Username: "callback", Name: "12345回访员", Role: streetdesk.RoleCallback},
		{ID: "supervisor", Username: "supervisor", Name: "督办员", Role: streetdesk.RoleSupervisor},
	} {
		if err := addUser(c); err != nil {
			return nil, err
		}
		res.Accounts = append(res.Accounts, c)
	}
	if !opts.Demo {
		if err := t.Commit(); err != nil {
			return nil, err
		}
		return res, nil
	}

	// Photos: a handful of small generated images, the "before/after" shots.
	photos, err := s.seedPhotos(ctx, t)
	if err != nil {
		return nil, err
	}

	g := demo.NewGenerator(opts.Seed, now).WithStreets(streets)
	home := teams[0]
	cw01 := home.members[0]
	// cw01's rich queue comes from a generator placed in cw01's own street
	// office, so texts, places and history all name the same street.
	gHome := g
	for _, st := range streets {
		if st.Name == home.team.StreetOffice {
			gHome = demo.NewGenerator(opts.Seed, now).WithStreets([]demo.Street{st})
		}
	}
	// Three recurring problems in cw01's street office, so the hotspot view
	// (热点) has true groups to show; they count among the orders asked for.
	var planted []streetdesk.WorkOrder
	if opts.Orders >= 100 {
		for _, st := range streets {
			if st.Name == home.team.StreetOffice {
				planted = g.Recurring(st)
			}
		}
	}
	mine := 0
	for i := 0; i < opts.Orders-len(planted); i++ {
		var o streetdesk.WorkOrder
		var tm *teamInfo
		var who streetdesk.User
		if i%13 == 0 && mine < 60 {
			mine++
			o = gHome.Order(i)
			tm, who = home, cw01
			if o.Status.Open() && mine%9 == 1 && !o.Overdue(now) {
				// Some due later today.
				end := time.Date(now.In(streetdesk.ChinaTZ).Year(), now.In(streetdesk.ChinaTZ).Month(), now.In(streetdesk.ChinaTZ).Day(), 23, 0, 0, 0, streetdesk.ChinaTZ)
				if end.After(now.Add(30 * time.Minute)) {
					o.Deadlines.ResolveBy = now.Add(end.Sub(now) / 2)
					if o.Status == streetdesk.StatusDispatched {
						o.Deadlines.AcceptBy = o.Deadlines.ResolveBy
					}
				}
			}
		} else {
			o = g.Order(i)
			opts := byOffice[o.Location.StreetOffice]
			if len(opts) == 0 {
				opts = teams
			}
			tm = opts[i%len(opts)]
			who = tm.members[(i/len(opts))%len(tm.members)]
		}
		o.TeamID, o.AssigneeID, o.AssigneeName = tm.team.ID, who.ID, who.Name
		if err := b.seedOrder(g, &o, who, tm.lead, photos, i); err != nil {
			return nil, err
		}
		res.Orders++
	}
	// Every other planted order is cw01's, so cw01 sees a hotspot of their
	// own; the rest go round the team.
	for k := range planted {
		o := &planted[k]
		who := home.members[0]
		if k%2 == 1 {
			who = home.members[1+(k/2)%(len(home.members)-1)]
		}
		o.TeamID, o.AssigneeID, o.AssigneeName = home.team.ID, who.ID, who.Name
		if err := b.seedOrder(g, o, who, home.lead, photos, opts.Orders+k); err != nil {
			return nil, err
		}
		res.Orders++
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

type seedPhoto struct {
	sha  string
	size int64
}

// seedPhotos writes a dozen small PNGs into the content store.
func (s *Server) seedPhotos(ctx context.Context, t *tx) ([]seedPhoto, error) {
	var out []seedPhoto
	for k := 0; k < 12; k++ {
		img := image.NewRGBA(image.Rect(0, 0, 96, 72))
		for y := 0; y < 72; y++ {
			for x := 0; x < 96; x++ {
				img.Set(x, y, color.RGBA{uint8(40 + k*17), uint8(x * 2), uint8(y * 3), 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(buf.Bytes())
		sha := fmt.Sprintf("%x", sum)
		dst := s.BlobPath(sha)
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, buf.Bytes(), 0o640); err != nil {
			return nil, err
		}
		if err := t.InsertBlob(ctx, sha, store.Blob{Size: int64(buf.Len()), MIME: "image/png"}, t.now); err != nil {
			return nil, err
		}
		out = append(out, seedPhoto{sha, int64(buf.Len())})
	}
	return out, nil
}

// bulk inserts many orders in one transaction (the store's statements are
// prepared once and reused).
type bulk struct {
	t   *tx
	ctx context.Context
}

// addOrder inserts an order as it is (its version and history included).
func (b *bulk) addOrder(o *streetdesk.WorkOrder) error {
	return b.t.insertOrder(b.ctx, o, "")
}

// stableID derives a UUID from a name, so a seed is reproducible.
func stableID(parts ...string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(strings.Join(parts, "/"))).String()
}

// seedOrder inserts a generated order with the notes, photos and
// resolutions its history implies.
func (b *bulk) seedOrder(g *demo.Generator, o *streetdesk.WorkOrder, who, lead streetdesk.User, photos []seedPhoto, i int) error {
	var notes []streetdesk.Note
	var refs []streetdesk.PhotoRef
	var ress []streetdesk.Resolution
	var lastRes *streetdesk.Resolution
	for j := range o.History {
		ev := &o.History[j]
		switch ev.Kind {
		case "accept", "recordContact", "addNote", "requestReturn", "requestExtension", "submitResolution", "submitForReview":
			ev.Actor = who.Name
		case "approveReview", "sendBack":
			ev.Actor = lead.Name
		}
		id := stableID(o.ID, fmt.Sprint(j))
		switch ev.Kind {
		case "recordContact":
			notes = append(notes, streetdesk.Note{ID: id, WorkOrderID: o.ID, Kind: streetdesk.NoteContact, Body: ev.Text,
				Method: streetdesk.ContactPhone, Reached: !strings.Contains(ev.Text, "未接通"), AuthorID: who.ID, AuthorName: who.Name,
				Cycle: ev.Cycle, CreatedAt: ev.At, AuthorWasAssignee: true})
		case "addNote":
			notes = append(notes, streetdesk.Note{ID: id, WorkOrderID: o.ID, Kind: streetdesk.NoteSurvey, Body: ev.Text,
				AuthorID: who.ID, AuthorName: who.Name, Cycle: ev.Cycle, CreatedAt: ev.At, AuthorWasAssignee: true})
			p := photos[(i+j)%len(photos)]
			refs = append(refs, streetdesk.PhotoRef{ID: stableID(o.ID, fmt.Sprint(j), "before"), WorkOrderID: o.ID, SHA256: p.sha, Size: p.size,
				MIME: "image/png", Tag: streetdesk.PhotoBefore, Caption: "现场情况", TakenAt: ev.At, Lat: o.Location.Lat, Lng: o.Location.Lng,
				AuthorID: who.ID, Cycle: ev.Cycle, CreatedAt: ev.At, BlobPresent: true})
		case "submitResolution", "submitForReview":
			p := photos[(i+j+5)%len(photos)]
			ref := streetdesk.PhotoRef{ID: stableID(o.ID, fmt.Sprint(j), "after"), WorkOrderID: o.ID, SHA256: p.sha, Size: p.size,
				MIME: "image/png", Tag: streetdesk.PhotoAfter, Caption: "整改后", TakenAt: ev.At, AuthorID: who.ID, Cycle: ev.Cycle,
				CreatedAt: ev.At, BlobPresent: true}
			if o.AwaitingMedia && ev.Cycle == o.Cycle {
				// The photo has not reached the platform yet.
				ref.SHA256 = fmt.Sprintf("%x", sha256.Sum256([]byte(o.ID+"/missing")))
				ref.BlobPresent = false
			}
			refs = append(refs, ref)
			reply := ev.Text
			if len([]rune(strings.TrimSpace(reply))) < streetdesk.MinReplyRunes {
				reply = g.ReplyText(o)
			}
			r := streetdesk.Resolution{ID: id, WorkOrderID: o.ID, Cycle: ev.Cycle, Outcome: streetdesk.OutcomeSolved, Reply: reply,
				PhotoRefIDs: []string{ref.ID}, State: streetdesk.ResolutionAccepted, AuthorID: who.ID, CreatedAt: ev.At}
			if ev.Kind == "submitForReview" {
				r.State = streetdesk.ResolutionReview
			}
			ress = append(ress, r)
			lastRes = &ress[len(ress)-1]
		case "approveReview":
			if lastRes != nil {
				lastRes.State = streetdesk.ResolutionAccepted
			}
		case "sendBack":
			if lastRes != nil {
				lastRes.State = streetdesk.ResolutionProposal
			}
		}
	}
	if err := b.addOrder(o); err != nil {
		return err
	}
	t, ctx := b.t, b.ctx
	for k := range notes {
		if _, err := t.insertNote(ctx, &notes[k], o); err != nil {
			return err
		}
	}
	for k := range refs {
		if _, err := t.insertPhoto(ctx, &refs[k], o); err != nil {
			return err
		}
	}
	for k := range ress {
		if err := t.putResolution(ctx, &ress[k], o); err != nil {
			return err
		}
	}
	return nil
}

// benchOrder is one line of testdata/bench/orders-10k.jsonl.gz.
type benchOrder struct {
	ID        string   `json:"_id"`
	Title     string   `json:"title"`
	Complaint string   `json:"complaint"`
	Channel   string   `json:"channel"`
	Category  []string `json:"category"`
	District  string   `json:"district"`
	Street    string   `json:"street"`
	Address   string   `json:"address"`
	Location  struct{ Lat, Lng float64 }
	Status    string `json:"status"`
	Priority  string `json:"priority"`
	Reporter  struct{ Name, Phone string }
	CreatedAt time.Time `json:"createdAt"`
	AcceptBy  time.Time `json:"acceptDeadline"`
	ResolveBy time.Time `json:"resolveDeadline"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
	History   []struct {
		At     time.Time `json:"at"`
		By     string    `json:"by"`
		Action string    `json:"action"`
		Note   string    `json:"note"`
	} `json:"history"`
}

var (
	benchChannels = map[string]streetdesk.Channel{"微信小程序": streetdesk.ChannelMiniProgram, "随手拍": streetdesk.ChannelApp,
		"12345热线": streetdesk.ChannelHotline, "网格员上报": streetdesk.ChannelGrid, "市长信箱": streetdesk.ChannelMayorMail,
		"i深圳APP": streetdesk.ChannelApp, "人民网留言板": streetdesk.ChannelWeb}
	// The data set's own states; "returned" becomes return_requested so the
	// whole set stays in the caseworker's view.
	benchStatuses = map[string]streetdesk.Status{"new": streetdesk.StatusDispatched, "dispatched": streetdesk.StatusDispatched,
		"accepted": streetdesk.StatusAccepted, "in_progress": streetdesk.StatusAccepted, "resolved": streetdesk.StatusResolved,
		"closed": streetdesk.StatusClosed, "returned": streetdesk.StatusReturnRequested}
	benchActions = map[string]string{"create": "dispatch", "dispatch": "dispatch", "transfer": string(streetdesk.OpReassign),
		"accept": string(streetdesk.OpAccept), "visit": string(streetdesk.OpRecordContact), "reply": string(streetdesk.OpSubmitResolution)}
)

// ImportBenchOrders loads the shared benchmark data set (JSON lines, gzipped
// or not) and assigns every order to assignee, in one transaction. It
// returns the number of orders imported.
func (s *Server) ImportBenchOrders(ctx context.Context, r io.Reader, assignee string) (int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, err
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<20)
	}
	who, _, err := s.db.User(ctx, assignee)
	if err != nil {
		return 0, err
	}
	byName := map[string]streetdesk.Category{}
	for _, it := range s.cfg.Taxonomy.Items {
		byName[it.L3Name] = it.Category
	}
	t, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	b := &bulk{t: t, ctx: ctx}
	dec := json.NewDecoder(br)
	n := 0
	for dec.More() {
		var in benchOrder
		if err := dec.Decode(&in); err != nil {
			return n, streetdesk.Errorf(streetdesk.EINVALID, "bench orders line %d: %v", n+1, err)
		}
		o := streetdesk.WorkOrder{ID: in.ID, Title: in.Title, Complaint: in.Complaint, Channel: benchChannels[in.Channel],
			Location: streetdesk.Location{District: in.District, StreetOffice: in.Street, Address: in.Address, Lat: in.Location.Lat, Lng: in.Location.Lng},
			Citizen:  streetdesk.Citizen{Name: in.Reporter.Name, Phone: streetdesk.MaskPhone(in.Reporter.Phone)},
			Urgency:  streetdesk.UrgencyNormal, Status: benchStatuses[in.Status], AssigneeID: who.ID, AssigneeName: who.Name, TeamID: who.TeamID,
			Version: max(in.Version, 1), DispatchedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
			Deadlines: streetdesk.Deadlines{AcceptBy: in.AcceptBy, FirstContactBy: in.AcceptBy, ResolveBy: in.ResolveBy}}
		if !streetdesk.ValidOrderID(o.ID) || o.Status == "" {
			return n, streetdesk.Errorf(streetdesk.EINVALID, "bench orders line %d: bad id or status", n+1)
		}
		if o.Channel == "" {
			o.Channel = streetdesk.ChannelHotline
		}
		if in.Priority == "urgent" {
			o.Urgency = streetdesk.UrgencyUrgent
		}
		if len(in.Category) == 3 {
			if c, ok := byName[in.Category[2]]; ok {
				o.Category = c
			} else {
				o.Category = streetdesk.Category{L1Name: in.Category[0], L2Name: in.Category[1], L3Name: in.Category[2]}
			}
		}
		for _, h := range in.History {
			kind := benchActions[h.Action]
			if kind == "" {
				kind = h.Action
			}
			o.History = append(o.History, streetdesk.Event{At: h.At, Actor: h.By, Kind: kind, Text: h.Note})
			if kind == string(streetdesk.OpAccept) && o.AcceptedAt.IsZero() {
				o.AcceptedAt = h.At
			}
		}
		if err := b.addOrder(&o); err != nil {
			return n, err
		}
		n++
	}
	return n, t.Commit()
}
