package platform

import (
	"context"
	"time"
)

// IDKind is what an ID names on the platform. Site IDs and app IDs look
// alike; the incident began where an API did not tell them apart.
type IDKind string

const (
	KindSite    IDKind = "site"
	KindApp     IDKind = "app"
	KindUnknown IDKind = "unknown"
)

// IDInfo is what the platform knows of one ID, live or deleted (deleted
// things are known from the audit store, which the bad script did not touch).
type IDInfo struct {
	ID   string `json:"id"`
	Kind IDKind `json:"kind"`
	// Status is "active" or "deleted".
	Status    string    `json:"status"`
	DeletedAt time.Time `json:"deleted_at,omitempty"`
	// SiteID is, for an app installation, the site it belongs to.
	SiteID  string `json:"site_id,omitempty"`
	URL     string `json:"url,omitempty"`
	Users   int    `json:"users,omitempty"`
	AppName string `json:"app_name,omitempty"`
}

// Directory looks IDs up. The preflight of every restore asks it about every
// ID before anything is touched.
type Directory interface {
	LookupIDs(ctx context.Context, ids []string) ([]IDInfo, error)
}
