package readiness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
)

// target is one URL to ask.
type target struct{ name, url string }

// serviceTargets are the description's services (those it gives a URL)
// and webhooks, in its order.
func serviceTargets(d *platform.Description) []target {
	s := d.Services
	var out []target
	for _, t := range []target{
		{"catalog", s.Catalog}, {"identity", s.Identity}, {"flags", s.Flags}, {"apps", s.Apps},
		{"vendors", s.Vendors}, {"search", s.Search}, {"front_door", s.FrontDoor}, {"admin", s.Admin},
	} {
		if t.url != "" {
			out = append(out, t)
		}
	}
	for _, w := range d.Webhooks {
		out = append(out, target{"webhook " + w.Name, w.URL})
	}
	return out
}

// service asks one URL with a GET. Any HTTP answer below 500 counts as
// answering: a service that says 404 or 401 to a bare GET of its root is
// up and reachable (and a webhook may refuse a GET with 405), while a 5xx
// is a server that is there but failing.
func (c *Checker) service(ctx context.Context, t target) (ServiceReport, string) {
	row := ServiceReport{Name: t.name, URL: t.url}
	if u, err := url.Parse(t.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return row, fmt.Sprintf("service %s: %q is not an http(s) URL", t.name, t.url)
	}
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: ServiceTimeout}
	}
	ctx, cancel := context.WithTimeout(ctx, ServiceTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		return row, fmt.Sprintf("service %s: %q is not a URL Lazarus can ask", t.name, t.url)
	}
	start := time.Now()
	resp, err := client.Do(req)
	row.Duration = time.Since(start)
	if err != nil {
		c.logger().Debug("service does not answer", zap.String("service", t.name), zap.String("url", t.url), zap.Error(err))
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return row, fmt.Sprintf("service %s at %s: no answer within %s", t.name, t.url, ServiceTimeout)
		}
		return row, fmt.Sprintf("service %s at %s: does not answer (%v)", t.name, t.url, rootCause(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	row.Status = resp.StatusCode
	row.Answers = resp.StatusCode < 500
	if !row.Answers {
		return row, fmt.Sprintf("service %s at %s: answers HTTP %d (a server error): it is up but failing", t.name, t.url, resp.StatusCode)
	}
	return row, ""
}

// rootCause is the innermost error of a chain (a refused connection, not
// the client's words around it).
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
