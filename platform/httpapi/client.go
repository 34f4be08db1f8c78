package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

// DefaultTimeout bounds one request when the context has no earlier deadline.
const DefaultTimeout = 30 * time.Second

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

// WithHTTPClient uses hc for every request.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithTimeout bounds each request (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// New makes a client of the services at urls. Services with an empty URL
// answer every call with a clear error.
func New(urls platform.Services, opts ...Option) *Client {
	c := &Client{urls: urls, http: &http.Client{}, timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	return c
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
		return 0, fmt.Errorf("%s: %s %s: %w", service, method, full, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s: %s %s: read answer: %w", service, method, full, err)
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
