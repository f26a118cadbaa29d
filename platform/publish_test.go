package platform_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/streetdesk/streetdesk"
)

// A resolution's publishPhotoRefIds set the per-photo flag when the
// resolution is accepted — at once, or at the lead's sign-off — and only on
// "after" photos; the flag is off by default and travels to the desks.
func TestResolutionPublishesChosenAfterPhotos(t *testing.T) {
	for _, review := range []bool{false, true} {
		t.Run(map[bool]string{false: "direct", true: "review"}[review], func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			if review {
				var tm streetdesk.Team
				if st, body := e.call(http.MethodPut, "/v1/team/settings", e.token("lead01"), streetdesk.TeamSettings{ReviewResolutions: true}, &tm); st != 200 {
					t.Fatalf("review on: %d %s", st, body)
				}
			}
			o, c := e.acceptedBy("cw01", "teamA")
			shown, hidden, before := newID(), newID(), newID()
			for i, p := range []struct {
				id  string
				tag streetdesk.PhotoTag
			}{{shown, streetdesk.PhotoAfter}, {hidden, streetdesk.PhotoAfter}, {before, streetdesk.PhotoBefore}} {
				data := photoBytes(2000, uint64(i+1))
				e.upload("cw01", data)
				if r := c.pushOne(c.mut(streetdesk.MutAttachPhoto, o, streetdesk.AttachPhotoArgs{PhotoRefID: p.id, SHA256: shaHex(data),
					Size: int64(len(data)), MIME: "image/jpeg", Tag: p.tag})); r.Status != streetdesk.ResultApplied {
					t.Fatalf("attach: %+v", r)
				}
			}
			res := goodResolution(shown, hidden, before)
			res.PublishPhotoRefIDs = []string{shown, before} // a "before" photo is never published
			if r := c.pushOne(c.mut(streetdesk.MutSubmitResolution, e.order(o.ID), res)); r.Status != streetdesk.ResultApplied {
				t.Fatalf("resolve: %+v", r)
			}
			if review {
				assertPublishable(t, e, o.ID, nil) // not before the sign-off
				lc := e.client("lead01")
				if r := lc.pushOne(lc.mut(streetdesk.MutApproveReview, e.order(o.ID), struct{}{})); r.Status != streetdesk.ResultApplied {
					t.Fatalf("sign off: %+v", r)
				}
			}
			assertPublishable(t, e, o.ID, map[string]bool{shown: true})
			rs, err := e.srv.Resolutions(ctx, o.ID)
			if err != nil || len(rs) != 1 || len(rs[0].PublishPhotoRefIDs) != 2 {
				t.Fatalf("resolution kept: %+v %v", rs, err)
			}
			// The desk learns the flag by pulling the photo reference.
			n := 0
			for _, pg := range c.pullAll("", 0) {
				for _, ch := range pg.Changes {
					if ch.Photo != nil && ch.Photo.ID == shown && ch.Photo.Publishable {
						n++
					}
				}
			}
			if n != 1 {
				t.Fatalf("pulled publishable photo %d times", n)
			}
		})
	}
}

// A publishable photo must be one of the resolution's photos.
func TestResolutionPublishOutsideItsPhotosRejected(t *testing.T) {
	e := newEnv(t)
	o, c := e.acceptedBy("cw01", "teamA")
	res := goodResolution()
	res.PublishPhotoRefIDs = []string{newID()}
	if r := c.pushOne(c.mut(streetdesk.MutSubmitResolution, o, res)); r.Status != streetdesk.ResultRejected {
		t.Fatalf("publish outside the resolution: %+v", r)
	}
	if got := e.order(o.ID); got.Status != streetdesk.StatusAccepted {
		t.Fatalf("status %s", got.Status)
	}
}

func assertPublishable(t *testing.T, e *env, orderID string, want map[string]bool) {
	t.Helper()
	ps, err := e.srv.Photos(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Publishable != want[p.ID] {
			t.Errorf("photo %s (%s): publishable %v, want %v", p.ID, p.Tag, p.Publishable, want[p.ID])
		}
	}
}
