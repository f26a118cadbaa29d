package streetdesk

import (
	"cmp"
	"strings"
)

// CompareQueue orders two orders of the queue by s, as the user reads it:
//
//   - SortRisk (排序：风险): the order whose deadline comes first comes
//     first — so overdue orders lead, the longest overdue at the top, then
//     the time left, least first (今天 14:24 before 今天 16:42, 剩余 2天
//     before 剩余 4天). Orders due at the same moment: 特急, then 紧急, then
//     一般. Orders without a deadline (resolved, closed) come last.
//   - SortUrgency (排序：紧急程度): 特急, then 紧急, then 一般; within each,
//     by deadline as above.
//   - SortDispatched (排序：派单时间): the newest dispatch first.
//
// Ties fall to the order number. The local store implements the same rule
// in SQL; its tests compare the two.
func CompareQueue(s SortOrder, a, b *WorkOrder) int {
	da, db := a.CurrentDeadline(), b.CurrentDeadline()
	byDeadline := func() int {
		if da.IsZero() != db.IsZero() {
			if da.IsZero() {
				return 1
			}
			return -1
		}
		return da.Compare(db)
	}
	var c int
	switch s {
	case SortDispatched:
		c = b.DispatchedAt.Compare(a.DispatchedAt)
	case SortUrgency:
		c = cmp.Or(cmp.Compare(b.Urgency.Rank(), a.Urgency.Rank()), byDeadline())
	default:
		c = cmp.Or(byDeadline(), cmp.Compare(b.Urgency.Rank(), a.Urgency.Rank()))
	}
	return cmp.Or(c, strings.Compare(a.ID, b.ID))
}
