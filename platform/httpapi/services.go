package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

// Users lists a site's users (identity service).
func (c *Client) Users(ctx context.Context, siteID string) ([]platform.User, error) {
	var out []platform.User
	if err := need("users", map[string]string{"site_id": siteID}); err != nil {
		return nil, err
	}
	_, err := c.do(ctx, "identity", http.MethodGet, "/v1/sites/"+esc(siteID)+"/users", nil, &out)
	return out, err
}

// Admins lists a site's admins, the contacts (identity service).
func (c *Client) Admins(ctx context.Context, siteID string) ([]platform.SiteAdmin, error) {
	var out []platform.SiteAdmin
	if err := need("admins", map[string]string{"site_id": siteID}); err != nil {
		return nil, err
	}
	_, err := c.do(ctx, "identity", http.MethodGet, "/v1/sites/"+esc(siteID)+"/admins", nil, &out)
	return out, err
}

// Flags lists a site's feature flags.
func (c *Client) Flags(ctx context.Context, siteID string) ([]platform.SiteFlag, error) {
	var out []platform.SiteFlag
	if err := need("flags", map[string]string{"site_id": siteID}); err != nil {
		return nil, err
	}
	_, err := c.do(ctx, "flags", http.MethodGet, "/v1/sites/"+esc(siteID)+"/flags", nil, &out)
	return out, err
}

// Apps lists the app installations the platform holds for a site.
func (c *Client) Apps(ctx context.Context, siteID string) ([]platform.AppInstallation, error) {
	var out []platform.AppInstallation
	if err := need("apps", map[string]string{"site_id": siteID}); err != nil {
		return nil, err
	}
	_, err := c.do(ctx, "apps", http.MethodGet, "/v1/sites/"+esc(siteID)+"/apps", nil, &out)
	return out, err
}

// Installations lists what the vendors believe is installed on a site.
func (c *Client) Installations(ctx context.Context, siteID string) ([]platform.AppInstallation, error) {
	var out []platform.AppInstallation
	if err := need("installations", map[string]string{"site_id": siteID}); err != nil {
		return nil, err
	}
	_, err := c.do(ctx, "vendors", http.MethodGet, "/v1/installations?site_id="+url.QueryEscape(siteID), nil, &out)
	return out, err
}

// Installation answers the vendor's record of one app.
func (c *Client) Installation(ctx context.Context, appID string) (platform.AppInstallation, error) {
	var out platform.AppInstallation
	if err := need("installation", map[string]string{"app_id": appID}); err != nil {
		return out, err
	}
	_, err := c.do(ctx, "vendors", http.MethodGet, "/v1/installations/"+esc(appID), nil, &out)
	return out, err
}

// UninstallCallback tells the vendor an app was uninstalled from a site.
func (c *Client) UninstallCallback(ctx context.Context, appID, siteID string) error {
	if err := need("uninstall", map[string]string{"app_id": appID, "site_id": siteID}); err != nil {
		return err
	}
	_, err := c.do(ctx, "vendors", http.MethodPost, "/v1/callbacks/uninstall", map[string]string{"app_id": appID, "site_id": siteID}, nil)
	return err
}

// Reattach tells the vendor the app is back on the same site ID.
func (c *Client) Reattach(ctx context.Context, appID, siteID string) (platform.VendorOperation, error) {
	var op platform.VendorOperation
	if err := need("reattach", map[string]string{"app_id": appID, "site_id": siteID}); err != nil {
		return op, err
	}
	_, err := c.do(ctx, "vendors", http.MethodPost, "/v1/reattach", map[string]string{"app_id": appID, "site_id": siteID}, &op)
	return op, err
}

// Migrate tells the vendor the app now lives on a new site ID.
func (c *Client) Migrate(ctx context.Context, appID, oldSiteID, newSiteID string) (platform.VendorOperation, error) {
	var op platform.VendorOperation
	if err := need("migrate", map[string]string{"app_id": appID, "old_site_id": oldSiteID, "new_site_id": newSiteID}); err != nil {
		return op, err
	}
	_, err := c.do(ctx, "vendors", http.MethodPost, "/v1/migrate",
		map[string]string{"app_id": appID, "old_site_id": oldSiteID, "new_site_id": newSiteID}, &op)
	return op, err
}

// Operation polls a vendor operation.
func (c *Client) Operation(ctx context.Context, opID string) (platform.VendorOperation, error) {
	var op platform.VendorOperation
	if err := need("operation", map[string]string{"op_id": opID}); err != nil {
		return op, err
	}
	_, err := c.do(ctx, "vendors", http.MethodGet, "/v1/operations/"+esc(opID), nil, &op)
	return op, err
}

// Reindex rebuilds the site's search documents for one product.
func (c *Client) Reindex(ctx context.Context, siteID, product string) (int, error) {
	if err := need("reindex", map[string]string{"site_id": siteID, "product": product}); err != nil {
		return 0, err
	}
	var out struct {
		Count int `json:"count"`
	}
	_, err := c.do(ctx, "search", http.MethodPost, "/v1/sites/"+esc(siteID)+"/reindex", map[string]string{"product": product}, &out)
	return out.Count, err
}

// SearchSite queries a site's derived store.
func (c *Client) SearchSite(ctx context.Context, siteID, q string) ([]platform.SearchDoc, error) {
	var out []platform.SearchDoc
	if err := need("search", map[string]string{"site_id": siteID}); err != nil {
		return nil, err
	}
	_, err := c.do(ctx, "search", http.MethodGet, "/v1/sites/"+esc(siteID)+"/search?q="+url.QueryEscape(q), nil, &out)
	return out, err
}

// CheckSite asks the front door whether the site at url is fully
// functional. A 503 answer is not an error: it says what is missing.
func (c *Client) CheckSite(ctx context.Context, siteURL string) (platform.SiteHealth, error) {
	var h platform.SiteHealth
	if err := need("check site", map[string]string{"url": siteURL}); err != nil {
		return h, err
	}
	var raw json.RawMessage
	status, err := c.do(ctx, "frontdoor", http.MethodGet, "/v1/sites/by-url?url="+url.QueryEscape(siteURL), nil, &raw, http.StatusServiceUnavailable)
	if err != nil {
		return h, err
	}
	var eb struct {
		Error string `json:"error"`
	}
	if status == http.StatusServiceUnavailable && json.Unmarshal(raw, &eb) == nil && eb.Error != "" {
		// The service itself is unavailable (an outage), not the site.
		return h, &HTTPError{Service: "frontdoor", Method: http.MethodGet, URL: c.urls.FrontDoor + "/v1/sites/by-url", Status: status, Message: eb.Error}
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("frontdoor: check %s: decode answer: %w", siteURL, err)
	}
	if status != http.StatusOK {
		h.OK = false
	}
	return h, nil
}

// VerifySite compares site asSiteID now with the truth of siteID at point
// (the sandbox's admin API).
func (c *Client) VerifySite(ctx context.Context, siteID, asSiteID string, point time.Time) ([]platform.StoreDiff, error) {
	var out []platform.StoreDiff
	if err := need("verify site", map[string]string{"site_id": siteID}); err != nil {
		return nil, err
	}
	_, err := c.do(ctx, "admin", http.MethodPost, "/v1/verify-site",
		map[string]any{"site_id": siteID, "as_site_id": asSiteID, "point": point.UTC()}, &out)
	return out, err
}

// DescribeOutage says, in one line for a person, how a call failed when
// the platform failed: the service and its address, and whether it refused
// the connection, did not answer in time, or answered with a server error.
// The server's own error text is left out. ok is false for other errors (a
// request the service refused, a bad argument).
func (c *Client) DescribeOutage(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		if he.Status < 500 {
			return "", false
		}
		what := "failed with an internal error"
		switch he.Status {
		case http.StatusServiceUnavailable:
			what = "is unavailable"
		case http.StatusBadGateway, http.StatusGatewayTimeout:
			what = "could not be reached through its gateway"
		}
		return fmt.Sprintf("the %s service at %s %s (%s)", he.Service, c.address(he.Service, he.URL), what,
			requestName(he.Method, he.URL)), true
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		if errors.Is(err, context.DeadlineExceeded) {
			return "a platform service did not answer in time", true
		}
		return "", false
	}
	service := c.serviceOf(ue.URL)
	where := fmt.Sprintf("the %s service at %s", service, c.address(service, ue.URL))
	var errno syscall.Errno
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return where + " refused the connection (is it running?)", true
	case ue.Timeout() || errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s did not answer within %s", where, c.timeout), true
	case errors.As(err, &dns):
		return fmt.Sprintf("%s could not be reached: host %s is unknown", where, dns.Name), true
	case errors.As(err, &errno):
		return fmt.Sprintf("%s could not be reached (%s)", where, errno.Error()), true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return where + " closed the connection without answering", true
	}
	return "", false
}

// serviceOf names the service whose URL starts full.
func (c *Client) serviceOf(full string) string {
	for _, s := range []string{"catalog", "identity", "flags", "apps", "vendors", "search", "frontdoor", "admin"} {
		if base, err := c.base(s); err == nil && strings.HasPrefix(full, base+"/") {
			return s
		}
	}
	return "platform"
}

// address is the service's base URL as the platform description gives it
// (else the scheme and host of full).
func (c *Client) address(service, full string) string {
	if base, err := c.base(service); err == nil {
		return base
	}
	if u, err := url.Parse(full); err == nil && u.Host != "" {
		return u.Scheme + "://" + u.Host
	}
	return full
}

// requestName is "POST /v1/ids/lookup", the path of full without its query.
func requestName(method, full string) string {
	if u, err := url.Parse(full); err == nil {
		return method + " " + u.Path
	}
	return method + " " + full
}
