package httpapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lazarus-dr/lazarus/platform"
)

// LookupIDs asks the catalog what each ID is (site or app, live or deleted).
func (c *Client) LookupIDs(ctx context.Context, ids []string) ([]platform.IDInfo, error) {
	var out []platform.IDInfo
	_, err := c.do(ctx, "catalog", http.MethodPost, "/v1/ids/lookup", map[string][]string{"ids": ids}, &out)
	return out, err
}

// GetSite answers a live catalog record; ErrNotFound when there is none.
func (c *Client) GetSite(ctx context.Context, siteID string) (platform.SiteRecord, error) {
	var rec platform.SiteRecord
	if err := need("get site", map[string]string{"site_id": siteID}); err != nil {
		return rec, err
	}
	_, err := c.do(ctx, "catalog", http.MethodGet, "/v1/sites/"+esc(siteID), nil, &rec)
	return rec, err
}

// SiteByURL answers the site serving a URL.
func (c *Client) SiteByURL(ctx context.Context, siteURL string) (platform.SiteRecord, error) {
	var rec platform.SiteRecord
	if err := need("site by url", map[string]string{"url": siteURL}); err != nil {
		return rec, err
	}
	_, err := c.do(ctx, "catalog", http.MethodGet, "/v1/sites?url="+url.QueryEscape(siteURL), nil, &rec)
	return rec, err
}

// CreateSite makes a new site (idempotent on NewSiteID).
func (c *Client) CreateSite(ctx context.Context, req platform.CreateSiteRequest) (platform.SiteRecord, error) {
	var rec platform.SiteRecord
	_, err := c.do(ctx, "catalog", http.MethodPost, "/v1/sites", req, &rec)
	return rec, err
}

// ApplyLicense gives the site a license tier.
func (c *Client) ApplyLicense(ctx context.Context, siteID, tier string) error {
	if err := need("license", map[string]string{"site_id": siteID, "tier": tier}); err != nil {
		return err
	}
	_, err := c.do(ctx, "catalog", http.MethodPost, "/v1/sites/"+esc(siteID)+"/license", map[string]string{"tier": tier}, nil)
	return err
}

// ActivateProduct activates a product (placing it on a shard).
func (c *Client) ActivateProduct(ctx context.Context, siteID, product string) error {
	_, err := c.ActivateProductOn(ctx, siteID, product, "")
	return err
}

// ActivateProductOn activates a product on a given shard store (empty: the
// catalog keeps an existing placement or picks one) and answers the record.
func (c *Client) ActivateProductOn(ctx context.Context, siteID, product, store string) (platform.SiteRecord, error) {
	var rec platform.SiteRecord
	if err := need("activate", map[string]string{"site_id": siteID, "product": product}); err != nil {
		return rec, err
	}
	body := map[string]string{"product": product}
	if store != "" {
		body["store"] = store
	}
	_, err := c.do(ctx, "catalog", http.MethodPost, "/v1/sites/"+esc(siteID)+"/activate", body, &rec)
	return rec, err
}

// PlaceRegion moves the site (and its placements) to a region.
func (c *Client) PlaceRegion(ctx context.Context, siteID, region string) error {
	if err := need("place", map[string]string{"site_id": siteID, "region": region}); err != nil {
		return err
	}
	_, err := c.do(ctx, "catalog", http.MethodPost, "/v1/sites/"+esc(siteID)+"/place", map[string]string{"region": region}, nil)
	return err
}

// SetStatus sets the site's status (active, provisioning, suspended).
func (c *Client) SetStatus(ctx context.Context, siteID, status string) error {
	if err := need("set status", map[string]string{"site_id": siteID, "status": status}); err != nil {
		return err
	}
	_, err := c.do(ctx, "catalog", http.MethodPost, "/v1/sites/"+esc(siteID)+"/status", map[string]string{"status": status}, nil)
	return err
}

// PermanentDelete calls the incident's permanent-delete API (the sandbox's
// bad script) and decodes its report into out.
func (c *Client) PermanentDelete(ctx context.Context, ids []string, out any) error {
	_, err := c.do(ctx, "catalog", http.MethodPost, "/v1/permanent-delete", map[string][]string{"ids": ids}, out)
	return err
}
