package desk_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/desk"
	"github.com/streetdesk/streetdesk/internal/desktest"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/media"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/sync"
)

// The real desk — desk.Service over localdb, media and the sync engine,
// against a real platform on loopback — keeps the contract the UI tests'
// fake keeps (internal/fakedesk's TestContract).
func TestContractReal(t *testing.T) {
	desktest.Run(t, newRealEnv)
}

const password = "secret-pass"

func newRealEnv(t *testing.T, s desktest.Spec) *desktest.Env {
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := platform.Open(ctx, platform.Config{DBPath: filepath.Join(dir, "platform.db"), MediaDir: filepath.Join(dir, "media"), BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	if err := srv.AddTeam(ctx, streetdesk.Team{ID: "teamA", Name: "城管组", StreetOffice: "桂园街道", District: "罗湖区", ReviewResolutions: s.Review}); err != nil {
		t.Fatal(err)
	}
	add := func(u streetdesk.User) streetdesk.User {
		u, err := srv.AddUser(ctx, u, password)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	dispatcher := add(streetdesk.User{Username: "dispatcher", Name: "派单员", Role: streetdesk.RoleDispatcher})
	lead := add(streetdesk.User{Username: "lead01", Name: "李组长", Role: streetdesk.RoleLead, TeamID: "teamA"})
	cw := add(streetdesk.User{Username: "cw01", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: "teamA"})
	cw2 := add(streetdesk.User{Username: "cw02", Name: "张伟", Role: streetdesk.RoleCaseworker, TeamID: "teamA"})
	dispatch := func(title string) string {
		o, err := srv.Dispatch(ctx, &dispatcher, streetdesk.DispatchRequest{
			Title: title, Complaint: "桂园路口人行道井盖缺失，夜间行人容易踩空。", Channel: streetdesk.ChannelHotline,
			CategoryL3: streetdesk.SampleTaxonomy().Items[0].L3Code, TeamID: "teamA", AssigneeID: cw.ID,
			Location: streetdesk.Location{Address: "桂园路1号", Lat: 22.54, Lng: 114.11},
		})
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	e := &desktest.Env{Other: cw2}
	for range s.Dispatched {
		e.Dispatched = append(e.Dispatched, dispatch(desktest.Marker+" 井盖缺失"))
	}
	if s.AwaitingReview > 0 {
		// The caseworker's desk resolves them; with review on they wait
		// for the lead.
		d := openDesk(t, ts.URL, cw)
		for range s.AwaitingReview {
			id := dispatch(desktest.Marker + " 待签发")
			d.sync(t)
			if err := d.db.Accept(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, err := d.db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已更换损坏的井盖，现场已恢复通行。"}); err != nil {
				t.Fatal(err)
			}
			e.AwaitingReview = append(e.AwaitingReview, id)
		}
		d.sync(t)
	}
	me := cw
	if s.Role == streetdesk.RoleLead {
		me = lead
	}
	d := openDesk(t, ts.URL, me)
	d.sync(t)
	e.Desk = d.svc
	return e
}

// realDesk is one desktop: its engine runs only inside sync, so what a
// contract test reads is what it wrote.
type realDesk struct {
	db  *localdb.DB
	eng *sync.Engine
	svc *desk.Service
}

func openDesk(t *testing.T, url string, user streetdesk.User) *realDesk {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := localdb.Open(ctx, filepath.Join(dir, "local.db"), localdb.Options{User: user})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := media.Open(filepath.Join(dir, "media"), media.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sync.NewClient(sync.ClientOptions{BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		db.Close()
	})
	lr, err := c.Login(ctx, user.Username, password)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTokenSource(sync.NewTokens(c, lr.Token, lr.RefreshToken, nil))
	team, err := c.Team(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRoster(ctx, *team); err != nil {
		t.Fatal(err)
	}
	eng := sync.New(db, c, sync.Options{Downloader: ms.SaveVerified})
	return &realDesk{db: db, eng: eng, svc: &desk.Service{OrderService: db, User: user, Photos: ms, Teams: db, Engine: eng}}
}

// sync runs the engine until a cycle succeeds (Run starts with one).
func (d *realDesk) sync(t *testing.T) {
	t.Helper()
	ok := d.eng.Stats().OK
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.eng.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.After(30 * time.Second)
	for {
		ch := d.eng.Notify()
		if st := d.eng.Stats(); st.OK > ok && d.eng.Status().State == streetdesk.SyncIdle {
			return
		} else if st.LastErr != nil {
			t.Fatalf("sync: %v", st.LastErr)
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no sync: %+v", d.eng.Status())
		}
	}
}
