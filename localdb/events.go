package localdb

import (
	"context"
	"database/sql"

	"github.com/streetdesk/streetdesk"
)

// ProposeEvent queues a lead's event proposal (proposeEvent) on its first
// member order, after checking every member as this desk knows it: present,
// the lead's team's, a citizen's request on record that belongs to no event.
// The platform checks them again; the orders do not change.
func (db *DB) ProposeEvent(ctx context.Context, in streetdesk.EventInput) (string, error) {
	if u := db.User(); u.Role != streetdesk.RoleLead {
		return "", streetdesk.Errorf(streetdesk.EFORBIDDEN, "only a lead proposes events").Saying(streetdesk.Msg(streetdesk.MsgErrLeadOnlyPropose))
	}
	args := streetdesk.ProposeEventArgs{ProposalID: newID(), Title: in.Title, Reason: in.Reason, Department: in.Department,
		MemberIDs: in.OrderIDs, HotspotID: in.HotspotID}
	if err := validate(streetdesk.MutProposeEvent, args); err != nil {
		return "", err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := cachedTx{db, tx}
		team := db.User().TeamID
		for _, id := range in.OrderIDs[1:] {
			s, err := loadShadow(ctx, q, id)
			if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
				return streetdesk.OrderErr(streetdesk.ENOTFOUND, streetdesk.MsgErrOrderNotLocal, id)
			}
			if err != nil {
				return err
			}
			if err := mayMember(&s.Order, team); err != nil {
				return err
			}
		}
		return db.act(ctx, tx, in.OrderIDs[0], streetdesk.OpProposeEvent, func(a *action) (string, any, error) {
			if err := mayMember(&a.order, team); err != nil {
				return "", nil, err
			}
			return streetdesk.MutProposeEvent, args, nil
		})
	})
	if err != nil {
		return "", err
	}
	return args.ProposalID, nil
}

// mayMember says why an order cannot be proposed as an event's member.
func mayMember(o *streetdesk.WorkOrder, team string) error {
	switch {
	case o.TeamID != team:
		return streetdesk.OrderErr(streetdesk.EFORBIDDEN, streetdesk.MsgErrNotYourTeam, o.ID)
	case o.IsEvent():
		return streetdesk.OrderErr(streetdesk.EINVALID, streetdesk.MsgErrIsEvent, o.ID)
	case o.EventID != "":
		return streetdesk.OrderErr(streetdesk.EINVALID, streetdesk.MsgErrInEvent, o.ID, "Event", o.EventID)
	case o.Status == streetdesk.StatusCancelled || o.Status == streetdesk.StatusReturned:
		return streetdesk.OrderErr(streetdesk.EINVALID, streetdesk.MsgErrCancelledReturned, o.ID)
	}
	return nil
}
