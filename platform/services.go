package platform

import (
	"context"
	"time"
)

// The platform's HTTP services, as the activities see them. The sandbox
// serves them (sandbox/) and platform/httpapi is their client; a real
// platform plugs its own adapters in behind the same interfaces.

// SiteRecord is a live catalog record.
type SiteRecord struct {
	SiteID    string    `json:"site_id"`
	URL       string    `json:"url"`
	Region    string    `json:"region"`
	Tier      string    `json:"tier"`
	Status    string    `json:"status"` // active | provisioning | deleted
	Products  []string  `json:"products"`
	CreatedAt time.Time `json:"created_at"`
	// RestoredFrom is, for a site made by Restore 1, the old site ID.
	RestoredFrom string `json:"restored_from,omitempty"`
	// Placements says which store (product shard) holds each product.
	Placements map[string]string `json:"placements,omitempty"`
}

// CreateSiteRequest makes a new site for Restore 1 (or an isolated drill
// copy). It is idempotent on NewSiteID.
type CreateSiteRequest struct {
	OldSiteID string `json:"old_site_id"`
	NewSiteID string `json:"new_site_id"`
	URL       string `json:"url"`
	Region    string `json:"region"`
	Tier      string `json:"tier"`
	// Owner and CustomerID are the old site's at the restore point (read
	// from the catalog clone); empty lets the catalog find them itself.
	Owner      string `json:"owner,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
}

// Catalog is the catalog service's API that Restore 1 uses (Restore 2
// undeletes the catalog rows from a point-in-time clone instead).
type Catalog interface {
	Directory
	GetSite(ctx context.Context, siteID string) (SiteRecord, error)
	CreateSite(ctx context.Context, req CreateSiteRequest) (SiteRecord, error)
	ApplyLicense(ctx context.Context, siteID, tier string) error
	ActivateProduct(ctx context.Context, siteID, product string) error
	PlaceRegion(ctx context.Context, siteID, region string) error
	SetStatus(ctx context.Context, siteID, status string) error
}

// AppInstallation is a third-party app installed on a site.
type AppInstallation struct {
	AppID  string `json:"app_id"`
	SiteID string `json:"site_id"`
	Vendor string `json:"vendor"`
	Name   string `json:"name"`
	Status string `json:"status"` // installed | uninstalled | pending
}

// VendorOperation is a vendor's answer to a reattach or migrate request;
// vendors may answer only after a delay, so it is polled until Done.
type VendorOperation struct {
	ID    string `json:"id"`
	AppID string `json:"app_id"`
	Done  bool   `json:"done"`
	Error string `json:"error,omitempty"`
}

// Vendors is the third-party vendors' API.
type Vendors interface {
	Installations(ctx context.Context, siteID string) ([]AppInstallation, error)
	// Reattach tells the vendor the app is back on the same site ID.
	Reattach(ctx context.Context, appID, siteID string) (VendorOperation, error)
	// Migrate tells the vendor the app now lives on a new site ID.
	Migrate(ctx context.Context, appID, oldSiteID, newSiteID string) (VendorOperation, error)
	Operation(ctx context.Context, opID string) (VendorOperation, error)
}

// Search is the derived store (a search index built from product data).
type Search interface {
	// Reindex rebuilds the site's index for one product and says how many
	// documents it holds.
	Reindex(ctx context.Context, siteID, product string) (int, error)
}

// SiteHealth is the front door's answer for one site.
type SiteHealth struct {
	// SiteID is the site the URL names, when the catalog knows one.
	SiteID  string   `json:"site_id,omitempty"`
	OK      bool     `json:"ok"`
	Missing []string `json:"missing,omitempty"`
}

// FrontDoor answers whether a site is fully functional.
type FrontDoor interface {
	CheckSite(ctx context.Context, url string) (SiteHealth, error)
}

// StoreDiff is one store's comparison with its truth.
type StoreDiff struct {
	Store string `json:"store"`
	Match bool   `json:"match"`
	Diff  string `json:"diff,omitempty"`
}

// Truth compares a site's data now with the sandbox's record of it at a
// point in time. Only the sandbox has it; on a real platform it is nil.
type Truth interface {
	// VerifySite compares site asSiteID now with the truth of siteID at
	// point (asSiteID differs from siteID after Restore 1 or in a drill).
	VerifySite(ctx context.Context, siteID, asSiteID string, point time.Time) ([]StoreDiff, error)
}

// Checksums takes a checksum of every production tenant, allowing for live
// traffic: a drill takes them before and after, to prove it wrote to no
// production tenant. Only the sandbox has it here; a real platform plugs in
// its own (nil: a drill cannot make that proof and says so).
type Checksums interface {
	// ProductionChecksums maps every production site's ID (drill copies
	// excluded) to a checksum over all of its stores and media, the rows
	// and objects its live traffic wrote left out.
	ProductionChecksums(ctx context.Context) (map[string]string, error)
}
