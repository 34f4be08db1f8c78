// Package schema holds the sandbox platform's PostgreSQL schema (one SQL file
// per kind of database, embedded) and the layout of its stores: which tables
// each store holds, in foreign-key order, with the columns that embed a site ID.
//
// It must never connect to a database itself: callers apply the SQL.
package schema

import (
	"embed"
	"fmt"

	"github.com/lazarus-dr/lazarus/platform"
)

//go:embed *.sql
var files embed.FS

// Cluster names.
const (
	ClusterPlatform = "platform"
	ClusterProducts = "products"
)

// Database names on the platform cluster.
const (
	DBCatalog = "catalog" // stores catalog, identity, flags, audit
	DBVendors = "vendors" // the vendor service's own records (not a store)
	DBSearch  = "search"  // the derived store
	DBSandbox = "sandbox" // truth and traffic log (not a store)
)

// Store names (the product shards are named by ShardName).
const (
	StoreCatalog  = "catalog"
	StoreIdentity = "identity"
	StoreFlags    = "flags"
	StoreAudit    = "audit"
	StoreSearch   = "search"
)

// Products, in the order the fleet generator uses them.
const (
	ProductJira       = "jira"
	ProductConfluence = "confluence"
	ProductJSM        = "jira-service-management"
	ProductOpsgenie   = "opsgenie"
	ProductStatuspage = "statuspage"
)

// Products lists every product a shard can hold.
var Products = []string{ProductJira, ProductConfluence, ProductJSM, ProductOpsgenie, ProductStatuspage}

// TenantColumn is the tenant column of every table.
const TenantColumn = "site_id"

// DefaultShards is how many product shards the sandbox makes.
const DefaultShards = 4

// ShardName is the database (and store) name of product shard n (1-based).
func ShardName(n int) string { return fmt.Sprintf("shard_%d", n) }

// SQL returns the schema to apply to a database of the given kind:
// "catalog", "vendors", "search", "sandbox" or "products" (every shard).
func SQL(kind string) (string, error) {
	name := map[string]string{
		DBCatalog:  "platform.sql",
		DBVendors:  "vendors.sql",
		DBSearch:   "search.sql",
		DBSandbox:  "sandbox.sql",
		"products": "products.sql",
	}[kind]
	if name == "" {
		return "", fmt.Errorf("schema: no schema for database kind %q (want catalog, vendors, search, sandbox or products)", kind)
	}
	b, err := files.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("schema %s: %w", name, err)
	}
	return string(b), nil
}

// Stores returns the platform's stores with their tables in foreign-key
// order (parents first), for a fleet with the given number of product
// shards. Cluster and Database are set; connection details live in the
// clusters of the description.
func Stores(shards int) []platform.Store {
	t := func(name string, remap ...string) platform.Table {
		return platform.Table{Name: name, RemapColumns: remap}
	}
	pt := func(product, name string, remap ...string) platform.Table {
		return platform.Table{Name: name, RemapColumns: remap, Product: product}
	}
	stores := []platform.Store{
		{
			Name: StoreCatalog, Cluster: ClusterPlatform, Database: DBCatalog, Kind: "catalog", TenantColumn: TenantColumn,
			Tables: []platform.Table{
				t("sites", "self_url"),
				t("site_config", "value"),
				t("licenses"),
				t("product_activations"),
				t("placements"),
				t("app_installations", "callback_url"),
			},
		},
		{
			Name: StoreIdentity, Cluster: ClusterPlatform, Database: DBCatalog, Kind: "identity", TenantColumn: TenantColumn,
			Tables: []platform.Table{
				t("users"),
				t("groups"),
				t("memberships"),
				t("permissions"),
				t("site_admins"),
			},
		},
		{
			Name: StoreFlags, Cluster: ClusterPlatform, Database: DBCatalog, Kind: "flags", TenantColumn: TenantColumn,
			Tables: []platform.Table{t("site_flags")},
		},
	}
	for n := 1; n <= shards; n++ {
		stores = append(stores, platform.Store{
			Name: ShardName(n), Cluster: ClusterProducts, Database: ShardName(n), Kind: "product", TenantColumn: TenantColumn,
			Products: append([]string(nil), Products...),
			Tables: []platform.Table{
				pt(ProductJira, "jira_projects", "self_url"),
				pt(ProductJira, "jira_issues", "self_url", "links"),
				pt(ProductJira, "jira_comments"),
				pt(ProductJira, "jira_attachments", "object_key"),
				pt(ProductConfluence, "conf_spaces", "self_url"),
				pt(ProductConfluence, "conf_pages", "self_url"),
				pt(ProductConfluence, "conf_comments"),
				pt(ProductConfluence, "conf_attachments", "object_key"),
				pt(ProductJSM, "jsm_queues"),
				pt(ProductJSM, "jsm_requests", "portal_url"),
				pt(ProductOpsgenie, "og_alerts"),
				pt(ProductStatuspage, "sp_components", "page_url"),
			},
		})
	}
	stores = append(stores,
		platform.Store{
			Name: StoreSearch, Cluster: ClusterPlatform, Database: DBSearch, Kind: "derived", TenantColumn: TenantColumn,
			Tables: []platform.Table{t("search_docs", "url")},
		},
		platform.Store{
			Name: StoreAudit, Cluster: ClusterPlatform, Database: DBCatalog, Kind: "audit", TenantColumn: TenantColumn,
			Tables: []platform.Table{t("id_registry"), t("deletion_events")},
		},
	)
	return stores
}
