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
		return "", streetdesk.Errorf(streetdesk.EFORBIDDEN, "只有组长可以提议大数据事件")
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
				return streetdesk.Errorf(streetdesk.ENOTFOUND, "工单 %s 不在本机，无法并案", id)
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
		return streetdesk.Errorf(streetdesk.EFORBIDDEN, "工单 %s 不属于您的小组", o.ID)
	case o.IsEvent():
		return streetdesk.Errorf(streetdesk.EINVALID, "工单 %s 本身是大数据事件工单", o.ID)
	case o.EventID != "":
		return streetdesk.Errorf(streetdesk.EINVALID, "工单 %s 已并入事件 %s", o.ID, o.EventID)
	case o.Status == streetdesk.StatusCancelled || o.Status == streetdesk.StatusReturned:
		return streetdesk.Errorf(streetdesk.EINVALID, "工单 %s 已撤单或退回", o.ID)
	}
	return nil
}
