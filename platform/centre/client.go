// Package centre is a small HTTP client for the 12345 centre's side of the
// platform (dispatch, cancel, decisions, callback, 督办, listing). Tests, the
// end-to-end suite and demos drive the lifecycle with it.
package centre

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/streetdesk/streetdesk"
)

// Client talks to a platform as a centre user.
type Client struct {
	BaseURL string       // e.g. http://127.0.0.1:8420
	Token   string       // bearer token (Login sets it)
	HTTP    *http.Client // default http.DefaultClient
}

// New returns a client for baseURL.
func New(baseURL string) *Client { return &Client{BaseURL: strings.TrimRight(baseURL, "/")} }

// Error is a non-2xx answer.
type Error struct {
	Status int
	Body   streetdesk.ErrorBody
}

func (e *Error) Error() string {
	return fmt.Sprintf("platform: %d %s: %s", e.Status, e.Body.Error.Code, e.Body.Error.Message)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Status: resp.StatusCode}
		json.Unmarshal(data, &e.Body)
		return e
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Login signs in and keeps the token.
func (c *Client) Login(ctx context.Context, username, password string) (*streetdesk.LoginResponse, error) {
	var r streetdesk.LoginResponse
	if err := c.do(ctx, http.MethodPost, "/v1/auth/login", streetdesk.LoginRequest{Username: username, Password: password}, &r); err != nil {
		return nil, err
	}
	c.Token = r.Token
	return &r, nil
}

func (c *Client) order(ctx context.Context, path string, in any) (*streetdesk.WorkOrder, error) {
	var o streetdesk.WorkOrder
	if err := c.do(ctx, http.MethodPost, path, in, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// Dispatch creates an order (dispatcher).
func (c *Client) Dispatch(ctx context.Context, r streetdesk.DispatchRequest) (*streetdesk.WorkOrder, error) {
	return c.order(ctx, "/v1/centre/orders", r)
}

func orderPath(id, action string) string {
	return "/v1/centre/orders/" + url.PathEscape(id) + "/" + action
}

// Cancel withdraws an order (dispatcher).
func (c *Client) Cancel(ctx context.Context, id, comment string) (*streetdesk.WorkOrder, error) {
	return c.order(ctx, orderPath(id, "cancel"), streetdesk.DecisionRequest{Approve: true, Comment: comment})
}

// DecideReturn approves or rejects a requested return (dispatcher).
func (c *Client) DecideReturn(ctx context.Context, id string, approve bool, comment string) (*streetdesk.WorkOrder, error) {
	return c.order(ctx, orderPath(id, "return"), streetdesk.DecisionRequest{Approve: approve, Comment: comment})
}

// DecideExtension approves or rejects a requested extension (dispatcher).
func (c *Client) DecideExtension(ctx context.Context, id string, approve bool, comment string) (*streetdesk.WorkOrder, error) {
	return c.order(ctx, orderPath(id, "extension"), streetdesk.DecisionRequest{Approve: approve, Comment: comment})
}

// Callback records the citizen's rating (callback agent).
func (c *Client) Callback(ctx context.Context, id string, rating streetdesk.Rating, comment string) (*streetdesk.WorkOrder, error) {
	return c.order(ctx, orderPath(id, "callback"), streetdesk.CallbackRequest{Rating: rating, Comment: comment})
}

// Supervise sets or clears 督办 (supervisor, dispatcher).
func (c *Client) Supervise(ctx context.Context, id string, on bool, comment string) (*streetdesk.WorkOrder, error) {
	return c.order(ctx, orderPath(id, "supervise"), streetdesk.SuperviseRequest{On: on, Comment: comment})
}

// Get returns one order.
func (c *Client) Get(ctx context.Context, id string) (*streetdesk.WorkOrder, error) {
	var o streetdesk.WorkOrder
	if err := c.do(ctx, http.MethodGet, "/v1/centre/orders/"+url.PathEscape(id), nil, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// ListFilter narrows List.
type ListFilter struct {
	Status        streetdesk.Status
	Office, Team  string
	Limit, Offset int
}

// List returns a page of orders, newest dispatch first.
func (c *Client) List(ctx context.Context, f ListFilter) (*streetdesk.OrderList, error) {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	if f.Office != "" {
		q.Set("office", f.Office)
	}
	if f.Team != "" {
		q.Set("team", f.Team)
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(f.Offset))
	}
	var l streetdesk.OrderList
	if err := c.do(ctx, http.MethodGet, "/v1/centre/orders?"+q.Encode(), nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// RunAnalysis runs the district-wide hotspot analysis now (dispatcher).
func (c *Client) RunAnalysis(ctx context.Context) (*streetdesk.HotspotAnalysis, error) {
	var a streetdesk.HotspotAnalysis
	if err := c.do(ctx, http.MethodPost, "/v1/centre/analysis/run", struct{}{}, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Hotspots returns the last analysis (dispatcher).
func (c *Client) Hotspots(ctx context.Context) (*streetdesk.HotspotAnalysis, error) {
	var a streetdesk.HotspotAnalysis
	if err := c.do(ctx, http.MethodGet, "/v1/centre/hotspots", nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateEvent makes an event order from a hotspot or orders (dispatcher).
func (c *Client) CreateEvent(ctx context.Context, r streetdesk.CreateEventRequest) (*streetdesk.WorkOrder, error) {
	return c.order(ctx, "/v1/centre/events", r)
}

// Proposals lists the leads' event proposals in a state ("" = all).
func (c *Client) Proposals(ctx context.Context, state streetdesk.ProposalState) ([]streetdesk.EventProposal, error) {
	var l streetdesk.ProposalList
	path := "/v1/centre/proposals"
	if state != "" {
		path += "?state=" + url.QueryEscape(string(state))
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &l); err != nil {
		return nil, err
	}
	return l.Proposals, nil
}

// DecideProposal accepts or declines a lead's event proposal (dispatcher).
func (c *Client) DecideProposal(ctx context.Context, id string, d streetdesk.ProposalDecision) (*streetdesk.EventProposal, error) {
	var p streetdesk.EventProposal
	if err := c.do(ctx, http.MethodPost, "/v1/centre/proposals/"+url.PathEscape(id)+"/decision", d, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
