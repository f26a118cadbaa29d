package sync

import "context"

// PushOnce runs the push phase alone (benchmarks).
func (e *Engine) PushOnce(ctx context.Context) error {
	if e.cid == "" {
		cid, err := e.store.ClientID(ctx)
		if err != nil {
			return err
		}
		e.cid = cid
	}
	e.client.SetClientID(e.cid)
	return e.push(ctx, e.cid)
}
