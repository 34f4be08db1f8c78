package contract

import (
	"fmt"
	"strings"
	"time"
)

// Vars are the values steps hand to the steps that follow them, by name.
// Every name a step writes or reads is one of the constants below (or made
// by one of the functions below), never a bare string.
type Vars map[string]string

// Names of the variables.
const (
	// VarRestorePoint is the point in time a site actually gets after clone
	// planning (RFC 3339 with nanoseconds), set per site by db.clone.
	VarRestorePoint = "restore_point"
	// VarNewSiteID is the ID a site is restored under when it is not its
	// own (Restore 1, drills), set by catalog.create_site.
	VarNewSiteID = "new_site_id"
	// VarOldSiteID is the deleted site's own ID, beside VarNewSiteID.
	VarOldSiteID = "old_site_id"
	// VarSiteURL is the URL of the restored site.
	VarSiteURL = "site_url"
	// VarCloneIDs lists, comma-separated, the point-in-time clones a
	// db.clone step made (for db.drop_clone).
	VarCloneIDs = "clone_ids"
	// VarCluster is the cluster a db.clone step cloned (for db.drop_clone).
	VarCluster = "cluster"
	// VarClones counts the clones a db.clone step made.
	VarClones = "clones"
	// VarRestorePointExtraLoss is, per site, how much earlier than its own
	// restore point the clone db.clone gave it is (a Go duration).
	VarRestorePointExtraLoss = "restore_point_extra_loss"
	// VarApps counts the apps apps.reattach reattached or migrated.
	VarApps = "apps"
	// VarSiteProducts lists, comma-separated and sorted, the products the
	// site had at the restore point (the clone's catalog placements), set
	// by catalog.undelete. A step with only_if_product runs only when this
	// list names its product (or when the list is not set).
	VarSiteProducts = "site.products"
)

// Products is VarSiteProducts as a set; ok is false when it is not set.
func (v Vars) Products() (set map[string]bool, ok bool) {
	s, ok := v[VarSiteProducts]
	if !ok {
		return nil, false
	}
	set = map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			set[p] = true
		}
	}
	return set, true
}

// CloneDSNVar names the DSN of the point-in-time clone of a cluster that
// serves a site.
func CloneDSNVar(cluster string) string { return "clone." + cluster + ".dsn" }

// CloneIDVar names the ID of the point-in-time clone of a cluster that
// serves a site.
func CloneIDVar(cluster string) string { return "clone." + cluster + ".id" }

// StoreVar names the store db.restore_tenant restored a product into.
func StoreVar(product string) string { return "store." + product }

// MediaKeysVar counts the media keys media.undelete found at the restore
// point under a product's prefix ("-" for the whole site).
func MediaKeysVar(product string) string { return "media." + product + ".keys" }

// SearchDocsVar counts the documents search.reindex indexed for a product.
func SearchDocsVar(product string) string { return "search." + product + ".docs" }

// RestorePoint is VarRestorePoint parsed; ok is false when it is not set.
func (v Vars) RestorePoint() (t time.Time, ok bool, err error) {
	s := v[VarRestorePoint]
	if s == "" {
		return time.Time{}, false, nil
	}
	t, err = time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, true, fmt.Errorf("vars %s %q is not an RFC 3339 time: %w", VarRestorePoint, s, err)
	}
	return t, true, nil
}

// FormatRestorePoint is how VarRestorePoint is written.
func FormatRestorePoint(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// CloneIDs is VarCloneIDs split; nil when it is not set.
func (v Vars) CloneIDs() []string {
	s := v[VarCloneIDs]
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// JoinCloneIDs is how VarCloneIDs is written.
func JoinCloneIDs(ids []string) string { return strings.Join(ids, ",") }
