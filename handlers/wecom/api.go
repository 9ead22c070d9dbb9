package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// APIError is an error answer from the WeCom API.
type APIError struct {
	Path    string
	Code    int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom %s: errcode %d: %s", e.Path, e.Code, e.Message)
}

// Error codes the client handles itself.
const (
	errBusy         = -1    // system busy: try again shortly
	errInvalidToken = 40014 // access_token invalid
	errExpiredToken = 42001 // access_token expired
)

// Client calls the WeCom server API. Access tokens are cached per secret
// until shortly before they expire, and fetched again once when WeCom says
// one is invalid or expired.
type Client struct {
	base   string // e.g. https://qyapi.weixin.qq.com
	corpID string
	http   *http.Client
	now    func() time.Time

	mu     sync.Mutex
	tokens map[string]cachedToken // by secret

	// Shared, when set, shares tokens between replicas: one fetches a new
	// token at a time (WeCom limits gettoken) and the others use it.
	Shared TokenStore
}

// TokenStore shares access tokens between replicas (Redis).
type TokenStore interface {
	Get(ctx context.Context, name string) (string, error)
	Set(ctx context.Context, name, token string, ttl time.Duration) error
	Lock(ctx context.Context, name string, ttl time.Duration) (unlock func(), ok bool, err error)
}

type cachedToken struct {
	value string
	until time.Time
}

// NewClient returns a client for the API at base.
func NewClient(base, corpID string) *Client {
	// Enough idle connections for the answer workers: net/http keeps two
	// per host by default.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &Client{base: base, corpID: corpID, http: &http.Client{Timeout: 10 * time.Second, Transport: t}, now: time.Now, tokens: map[string]cachedToken{}}
}

type baseResp struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (c *Client) token(ctx context.Context, secret string, fresh bool) (string, error) {
	c.mu.Lock()
	t, ok := c.tokens[secret]
	c.mu.Unlock()
	if ok && !fresh && c.now().Before(t.until) {
		return t.value, nil
	}
	name := c.corpID + "/" + secret
	if c.Shared != nil {
		if !fresh {
			if v, err := c.Shared.Get(ctx, name); err == nil && v != "" && v != t.value {
				c.keep(secret, v, 5*time.Minute)
				return v, nil
			}
		}
		unlock, got, err := c.Shared.Lock(ctx, name, 10*time.Second)
		if err == nil && !got {
			// Another replica is fetching: wait for its token.
			for i := 0; i < 20; i++ {
				select {
				case <-ctx.Done():
					return "", ctx.Err()
				case <-time.After(100 * time.Millisecond):
				}
				if v, err := c.Shared.Get(ctx, name); err == nil && v != "" && v != t.value {
					c.keep(secret, v, 5*time.Minute)
					return v, nil
				}
			}
		}
		defer unlock()
	}
	q := url.Values{"corpid": {c.corpID}, "corpsecret": {secret}}
	var resp struct {
		baseResp
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := c.do(ctx, http.MethodGet, "/cgi-bin/gettoken?"+q.Encode(), nil, &resp); err != nil {
		return "", err
	}
	if resp.ErrCode != 0 {
		return "", &APIError{"/cgi-bin/gettoken", resp.ErrCode, resp.ErrMsg}
	}
	life := time.Duration(resp.ExpiresIn) * time.Second
	if life <= 0 {
		life = 7200 * time.Second
	}
	life -= min(5*time.Minute, life/2) // refresh a little before WeCom expires it
	c.keep(secret, resp.AccessToken, life)
	if c.Shared != nil {
		c.Shared.Set(ctx, name, resp.AccessToken, life) // best effort: each replica can fetch its own
	}
	return resp.AccessToken, nil
}

func (c *Client) keep(secret, token string, life time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens[secret] = cachedToken{value: token, until: c.now().Add(life)}
}

// call POSTs body as JSON to path with an access token for secret and
// decodes the answer into out, which must embed baseResp.
func (c *Client) call(ctx context.Context, secret, path string, body any, out interface{ base() *baseResp }) error {
	refreshed := false
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx, secret, false)
		if err != nil {
			return err
		}
		if err := c.do(ctx, http.MethodPost, path+"?access_token="+url.QueryEscape(tok), body, out); err != nil {
			return err
		}
		b := out.base()
		switch {
		case b.ErrCode == 0:
			return nil
		case (b.ErrCode == errInvalidToken || b.ErrCode == errExpiredToken) && !refreshed:
			refreshed = true
			if _, err := c.token(ctx, secret, true); err != nil {
				return err
			}
			continue
		case b.ErrCode == errBusy && attempt < 3:
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
			}
			continue
		}
		return &APIError{path, b.ErrCode, b.ErrMsg}
	}
}

func (c *Client) do(ctx context.Context, method, pathQuery string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+pathQuery, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return redact(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wecom %s: HTTP %d", pathOnly(pathQuery), resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(out); err != nil {
		return fmt.Errorf("wecom %s: decode: %w", pathOnly(pathQuery), err)
	}
	return nil
}

// redact drops the query (secrets, tokens) from URL errors.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("wecom %s %s: %w", ue.Op, pathOnly(ue.URL), ue.Err)
	}
	return err
}

func pathOnly(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Path
	}
	return "?"
}

func (b *baseResp) base() *baseResp { return b }

// SendApp sends an app message (text or markdown) to one user.
func (c *Client) SendApp(ctx context.Context, secret string, agentID int, user, msgtype, content string) error {
	body := map[string]any{"touser": user, "msgtype": msgtype, "agentid": agentID, msgtype: map[string]string{"content": content}}
	var resp baseResp
	return c.call(ctx, secret, "/cgi-bin/message/send", body, &resp)
}

// KfMessage is one message from 微信客服's sync_msg.
type KfMessage struct {
	MsgID          string `json:"msgid"`
	OpenKfID       string `json:"open_kfid"`
	ExternalUserID string `json:"external_userid"`
	SendTime       int64  `json:"send_time"`
	Origin         int    `json:"origin"` // 3: from the customer
	MsgType        string `json:"msgtype"`
	Text           struct {
		Content string `json:"content"`
	} `json:"text"`
}

// KfSync pulls 微信客服 messages after cursor.
func (c *Client) KfSync(ctx context.Context, secret, cursor, token, openKfID string) (msgs []KfMessage, next string, more bool, err error) {
	body := map[string]any{"cursor": cursor, "token": token, "limit": 1000, "open_kfid": openKfID}
	var resp struct {
		baseResp
		NextCursor string      `json:"next_cursor"`
		HasMore    int         `json:"has_more"`
		MsgList    []KfMessage `json:"msg_list"`
	}
	if err := c.call(ctx, secret, "/cgi-bin/kf/sync_msg", body, &resp); err != nil {
		return nil, "", false, err
	}
	return resp.MsgList, resp.NextCursor, resp.HasMore == 1, nil
}

// KfSendText answers a 微信客服 customer.
func (c *Client) KfSendText(ctx context.Context, secret, user, openKfID, content string) error {
	body := map[string]any{"touser": user, "open_kfid": openKfID, "msgtype": "text", "text": map[string]string{"content": content}}
	var resp baseResp
	return c.call(ctx, secret, "/cgi-bin/kf/send_msg", body, &resp)
}

// Robot posts markdown to a group robot webhook.
func (c *Client) Robot(ctx context.Context, webhook, content string) error {
	b, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": content}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("wecom robot: %w", redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return redact(err)
	}
	defer resp.Body.Close()
	var br baseResp
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&br); err != nil {
		return fmt.Errorf("wecom robot: HTTP %d: %w", resp.StatusCode, err)
	}
	if br.ErrCode != 0 {
		return &APIError{"robot webhook", br.ErrCode, br.ErrMsg}
	}
	return nil
}
