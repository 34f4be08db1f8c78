package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

// Deadlines of every request (the context's own deadline wins when it is
// earlier). A call that passes one ends in an error naming the service and
// its address, which the activities treat as retryable: the step's retry
// budget, measured in minutes, decides when to give up.
const (
	// DefaultTimeout bounds one request, answer body included. The
	// platform's services answer in milliseconds; the slowest call Lazarus
	// makes (a whole site's verification against the truth, a reindex)
	// takes a few seconds on a loaded 2-core machine. 30s is ten times
	// that; a call that hangs costs a step 30s, and with the longest wait
	// between attempts (30s) the step is trying again within a minute.
	DefaultTimeout = 30 * time.Second
	// DialTimeout bounds opening a TCP connection: a refused connection
	// fails at once; a host that drops packets is not worth more than 5s
	// of a request's 30.
	DialTimeout = 5 * time.Second
	// TLSHandshakeTimeout bounds a TLS handshake, one round trip or two.
	TLSHandshakeTimeout = 5 * time.Second
	// IdleConnTimeout closes a kept-alive connection unused for this long.
	IdleConnTimeout = 90 * time.Second
	// MaxIdleConnsPerHost keeps enough connections to one service alive
	// for a worker's concurrent activities (net/http's default of 2 would
	// open and close a connection for most requests).
	MaxIdleConnsPerHost = 64
)

// Client reaches every service of one platform.
type Client struct {
	urls    platform.Services
	http    *http.Client
	timeout time.Duration
}

var (
	_ platform.Catalog   = (*Client)(nil)
	_ platform.Directory = (*Client)(nil)
	_ platform.Vendors   = (*Client)(nil)
	_ platform.Search    = (*Client)(nil)
	_ platform.FrontDoor = (*Client)(nil)
	_ platform.Truth     = (*Client)(nil)
)

// Option changes a Client.
type Option func(*Client)

// WithHTTPClient uses hc for every request (its transport's timeouts are
// then hc's business; the per-request timeout still applies).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithTimeout bounds each request (default DefaultTimeout); 0 leaves only
// the context's deadline and the transport's dial, TLS and response-header
// timeouts.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// New makes a client of the services at urls. Services with an empty URL
// answer every call with a clear error.
func New(urls platform.Services, opts ...Option) *Client {
	c := &Client{urls: urls, timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		// The request's own deadline, with its clearer message, fires
		// first; the transport's bounds a client without one.
		header := c.timeout + DialTimeout
		if c.timeout <= 0 {
			header = DefaultTimeout
		}
		c.http = &http.Client{Transport: newTransport(header)}
	}
	return c
}

// newTransport is net/http's default transport with every wait bounded:
// dial, TLS handshake, and the wait for an answer's headers.
func newTransport(headerTimeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		ResponseHeaderTimeout: headerTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       IdleConnTimeout,
		MaxIdleConns:          4 * MaxIdleConnsPerHost,
		MaxIdleConnsPerHost:   MaxIdleConnsPerHost,
	}
}

// URLs are the service URLs the client uses.
func (c *Client) URLs() platform.Services { return c.urls }

func (c *Client) base(service string) (string, error) {
	var u string
	switch service {
	case "catalog":
		u = c.urls.Catalog
	case "identity":
		u = c.urls.Identity
	case "flags":
		u = c.urls.Flags
	case "apps":
		u = c.urls.Apps
	case "vendors":
		u = c.urls.Vendors
	case "search":
		u = c.urls.Search
	case "frontdoor":
		u = c.urls.FrontDoor
	case "admin":
		u = c.urls.Admin
	}
	if u == "" {
		return "", fmt.Errorf("%s: the platform description has no URL for this service", service)
	}
	return strings.TrimRight(u, "/"), nil
}

// do sends one request and decodes a 2xx JSON answer into out (when not
// nil). okStatus lists extra statuses whose body is decoded as a success.
func (c *Client) do(ctx context.Context, service, method, path string, in, out any, okStatus ...int) (int, error) {
	base, err := c.base(service)
	if err != nil {
		return 0, err
	}
	full := base + path
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("%s: %s %s: encode request: %w", service, method, full, err)
		}
		body = bytes.NewReader(b)
	}
	parent := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, full, body)
	if err != nil {
		return 0, fmt.Errorf("%s: %s %s: %w", service, method, full, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %s %s: %s%w", service, method, full, c.timedOut(parent, ctx), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s: %s %s: read answer: %s%w", service, method, full, c.timedOut(parent, ctx), err)
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	for _, s := range okStatus {
		ok = ok || resp.StatusCode == s
	}
	if !ok {
		msg := strings.TrimSpace(string(raw))
		var eb struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &eb) == nil && eb.Error != "" {
			msg = eb.Error
		}
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		return resp.StatusCode, &HTTPError{Service: service, Method: method, URL: full, Status: resp.StatusCode, Message: msg}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s: %s %s: decode answer: %w", service, method, full, err)
		}
	}
	return resp.StatusCode, nil
}

// timedOut says "no answer within <timeout>: " when the request's own
// deadline (not the caller's) ended it, and "" otherwise.
func (c *Client) timedOut(parent, ctx context.Context) string {
	if c.timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
		return fmt.Sprintf("no answer within %s: ", c.timeout)
	}
	return ""
}

func esc(s string) string { return url.PathEscape(s) }

func need(what string, vals map[string]string) error {
	var empty []string
	for _, k := range []string{"site_id", "as_site_id", "app_id", "old_site_id", "new_site_id", "product", "tier", "region", "status", "url", "op_id", "service"} {
		if v, ok := vals[k]; ok && v == "" {
			empty = append(empty, k)
		}
	}
	if len(empty) > 0 {
		return fmt.Errorf("%w: %s: %s is empty", ErrInvalid, what, strings.Join(empty, ", "))
	}
	return nil
}

// ErrInvalid marks a call refused by the client before any request, for an
// empty or malformed argument; retrying cannot fix it.
var ErrInvalid = errors.New("invalid argument")
