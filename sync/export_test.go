package sync

import (
	"context"
	"io"

	"github.com/streetdesk/streetdesk"
)

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

// DecodePull decodes a pull page as Client.Pull does (tests).
func DecodePull(body io.Reader) (*streetdesk.PullResponse, error) {
	var r pullResponse
	if err := r.decode(body); err != nil {
		return nil, err
	}
	return &r.PullResponse, nil
}

// EntryJSONBound is entryJSONBound (tests).
var EntryJSONBound = entryJSONBound

// EncodePush is the client's encoder of a push body.
var EncodePush = encodePush
