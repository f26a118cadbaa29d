package sync

import "context"

// PushOnce runs the push phase alone (benchmarks).
func (e *Engine) PushOnce(ctx context.Context) error {
	cid, err := e.store.ClientID(ctx)
	if err != nil {
		return err
	}
	e.client.SetClientID(cid)
	return e.push(ctx, cid)
}
