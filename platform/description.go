// Package platform describes the systems Lazarus restores, and holds the
// interfaces and adapters that reach them (the sandbox's HTTP services,
// PostgreSQL tenant point-in-time restore, S3 undelete).
//
// It must never hold orchestration logic: what runs in which order is the
// runbook's and the workflows' business. Activities call these adapters.
package platform

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/hashicorp/go-multierror"
)

// Description is the platform description file: every store, its live
// connection, its backups and WAL archive, its tenant column and its tables in
// foreign-key order; the S3 endpoint and bucket; the service URLs. The sandbox
// writes one; a real platform writes its own. Nothing about a platform is
// hard-coded in activities.
type Description struct {
	Name string `yaml:"name" json:"name"`
	// Retention is how far back backups reach (30 days in the incident).
	Retention time.Duration `yaml:"retention" json:"retention"`
	Clusters  []Cluster     `yaml:"clusters" json:"clusters"`
	Stores    []Store       `yaml:"stores" json:"stores"`
	Media     Media         `yaml:"media" json:"media"`
	Services  Services      `yaml:"services" json:"services"`
	// Webhooks are the endpoints of the webhook action (param webhook).
	Webhooks []Webhook `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
}

// Cluster is one PostgreSQL cluster with WAL archiving and base backups.
type Cluster struct {
	Name string `yaml:"name" json:"name"`
	// Host is a host name or a Unix socket directory; Port its port.
	Host string `yaml:"host" json:"host"`
	Port int    `yaml:"port" json:"port"`
	User string `yaml:"user" json:"user"`
	// PGBin is the folder of initdb, pg_ctl, pg_basebackup.
	PGBin string `yaml:"pg_bin" json:"pg_bin"`
	// BackupDir holds base backups, one folder each (with its backup_label).
	BackupDir string `yaml:"backup_dir" json:"backup_dir"`
	// WALArchive is the folder archive_command copies WAL segments into.
	WALArchive string `yaml:"wal_archive" json:"wal_archive"`
	// OSUser is the operating-system user PostgreSQL runs as ("postgres"
	// when Lazarus runs as root, else empty for the current user).
	OSUser string `yaml:"os_user,omitempty" json:"os_user,omitempty"`
	// ScratchDir is where point-in-time clones of this cluster are made.
	ScratchDir string `yaml:"scratch_dir" json:"scratch_dir"`
	// Backups is how the cluster is backed up, and so how it is cloned at
	// a point in time: BackupsLocal (base backups in BackupDir plus the WAL
	// archive; the default), BackupsPGBackRest or BackupsRDS.
	Backups string `yaml:"backups,omitempty" json:"backups,omitempty"`
	// PGBackRest is set when Backups is BackupsPGBackRest.
	PGBackRest *PGBackRest `yaml:"pgbackrest,omitempty" json:"pgbackrest,omitempty"`
	// RDS is set when Backups is BackupsRDS.
	RDS *RDS `yaml:"rds,omitempty" json:"rds,omitempty"`
	// SSLMode is libpq's sslmode for this cluster and its clones. Empty:
	// "disable" for a loopback address or a socket folder, "verify-full"
	// for any other host.
	SSLMode string `yaml:"sslmode,omitempty" json:"sslmode,omitempty"`
	// SSLRootCert is the CA file that verifies the server (libpq's
	// sslrootcert).
	SSLRootCert string `yaml:"sslrootcert,omitempty" json:"sslrootcert,omitempty"`
	// PassFile is a PostgreSQL password file (the .pgpass format) the
	// worker reads its password from. Empty: PGPASSFILE, PGPASSWORD or
	// ~/.pgpass, as libpq. A password is never in the description.
	PassFile string `yaml:"passfile,omitempty" json:"passfile,omitempty"`
}

// The backup kinds of a cluster (Cluster.Backups).
const (
	BackupsLocal      = "local"
	BackupsPGBackRest = "pgbackrest"
	BackupsRDS        = "rds"
)

// BackupKind is the cluster's backup kind, BackupsLocal when empty.
func (c Cluster) BackupKind() string {
	if c.Backups == "" {
		return BackupsLocal
	}
	return c.Backups
}

// PGBackRest names the pgBackRest stanza that backs up a cluster and the
// configuration file that says where its repository is.
type PGBackRest struct {
	Stanza string `yaml:"stanza" json:"stanza"`
	// Config is the pgbackrest.conf path (pgBackRest's --config).
	Config string `yaml:"config" json:"config"`
	// Bin is the pgbackrest program; empty: found on PATH.
	Bin string `yaml:"bin,omitempty" json:"bin,omitempty"`
}

// RDS names the Amazon RDS instance or Aurora cluster a cluster is, for
// point-in-time clones made by AWS (RestoreDB*ToPointInTime). Credentials
// come from the AWS default chain (environment, profile, SSO, IRSA).
type RDS struct {
	Region string `yaml:"region" json:"region"`
	// ClusterIdentifier is the Aurora cluster; InstanceIdentifier the RDS
	// instance. Exactly one is set.
	ClusterIdentifier  string `yaml:"cluster_identifier,omitempty" json:"cluster_identifier,omitempty"`
	InstanceIdentifier string `yaml:"instance_identifier,omitempty" json:"instance_identifier,omitempty"`
	// InstanceClass of the clones (db.r6g.large).
	InstanceClass string `yaml:"instance_class,omitempty" json:"instance_class,omitempty"`
	// SubnetGroup and SecurityGroups place the clones where the workers
	// reach them.
	SubnetGroup    string   `yaml:"subnet_group,omitempty" json:"subnet_group,omitempty"`
	SecurityGroups []string `yaml:"security_groups,omitempty" json:"security_groups,omitempty"`
	// IAMAuth: connect with an IAM authentication token instead of a
	// password.
	IAMAuth bool `yaml:"iam_auth,omitempty" json:"iam_auth,omitempty"`
	// Endpoint overrides the RDS API endpoint (tests).
	Endpoint string `yaml:"endpoint,omitempty" json:"endpoint,omitempty"`
}

// Store is a set of tenant tables in one database of one cluster.
type Store struct {
	Name     string `yaml:"name" json:"name"`
	Cluster  string `yaml:"cluster" json:"cluster"`
	Database string `yaml:"database" json:"database"`
	// Kind groups stores by what they hold: catalog, identity, flags,
	// product (a product shard), derived (rebuilt, never copied), audit.
	Kind string `yaml:"kind" json:"kind"`
	// Products lists, for a product shard, the products it holds.
	Products []string `yaml:"products,omitempty" json:"products,omitempty"`
	// TenantColumn is the column naming the site on every table (site_id).
	TenantColumn string `yaml:"tenant_column" json:"tenant_column"`
	// Tables are in foreign-key order: parents first.
	Tables []Table `yaml:"tables" json:"tables"`
}

// Table is one tenant table. Its primary key starts with the tenant column,
// so a tenant's rows can be copied under a new site ID without conflicts.
type Table struct {
	Name string `yaml:"name" json:"name"`
	// TenantColumn overrides the store's, where a table names it otherwise.
	TenantColumn string `yaml:"tenant_column,omitempty" json:"tenant_column,omitempty"`
	// RemapColumns are text columns that embed the site ID (URLs, keys,
	// JSON): on a remap every occurrence of the old ID is replaced.
	RemapColumns []string `yaml:"remap_columns,omitempty" json:"remap_columns,omitempty"`
	// Product is, in a product shard, the product the table belongs to
	// (jira, confluence, ...): db.restore_tenant with param product copies
	// only that product's tables. Empty elsewhere.
	Product string `yaml:"product,omitempty" json:"product,omitempty"`
	// Part says which action restores the table where a store is split
	// between actions (catalog: site | metadata | apps; identity: contacts |
	// sync). Empty: derived from the store's kind and the table's name
	// (see activities.PartOf).
	Part string `yaml:"part,omitempty" json:"part,omitempty"`
}

// TenantColumnOf is the tenant column of a table of the store: the table's
// own when it names one, else the store's.
func (s Store) TenantColumnOf(t Table) string {
	if t.TenantColumn != "" {
		return t.TenantColumn
	}
	return s.TenantColumn
}

// Media is the S3-compatible object store with bucket versioning.
type Media struct {
	// Endpoint is an S3-compatible server's URL; empty: AWS S3.
	Endpoint string `yaml:"endpoint" json:"endpoint"`
	Region   string `yaml:"region" json:"region"`
	Bucket   string `yaml:"bucket" json:"bucket"`
	// SitePrefix is the key prefix of a site's objects, with {site} for its ID.
	SitePrefix string `yaml:"site_prefix" json:"site_prefix"`
	// CredentialsFile is an AWS shared credentials file, and Profile a
	// profile in it or in the AWS config; both empty: the AWS default
	// chain (environment, profile, SSO, IRSA). A secret is never in the
	// description itself.
	CredentialsFile string `yaml:"credentials_file,omitempty" json:"credentials_file,omitempty"`
	Profile         string `yaml:"profile,omitempty" json:"profile,omitempty"`
	// CAFile is a CA bundle that verifies an S3-compatible server's TLS.
	CAFile string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
}

// Webhook is an HTTP endpoint the webhook action calls, by name.
type Webhook struct {
	Name string `yaml:"name" json:"name"`
	URL  string `yaml:"url" json:"url"`
	// Timeout of one call (default 30s).
	Timeout time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Services are the platform's HTTP (JSON) services.
type Services struct {
	Catalog   string `yaml:"catalog" json:"catalog"`
	Identity  string `yaml:"identity" json:"identity"`
	Flags     string `yaml:"flags" json:"flags"`
	Apps      string `yaml:"apps" json:"apps"`
	Vendors   string `yaml:"vendors" json:"vendors"`
	Search    string `yaml:"search" json:"search"`
	FrontDoor string `yaml:"front_door" json:"front_door"`
	// Admin is the sandbox's own control API (faults, truth); empty on a
	// real platform.
	Admin string `yaml:"admin,omitempty" json:"admin,omitempty"`
}

// Load reads a platform description file strictly (Parse): a file with
// unknown fields, values of the wrong type, missing required fields or
// secrets is a ProblemList, one "FILE:LINE:COL: message" a problem, all of
// them at once; then Validate's checks, positioned the same way.
func Load(path string) (*Description, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("platform description %s: %w", path, err)
	}
	return Parse(path, raw)
}

// Validate reports every problem of the description at once. Each is a
// *FieldError naming the field's path (clusters[1].port), so that Parse
// can give it a position in the file.
func (d *Description) Validate() error {
	var errs *multierror.Error
	add := func(path, format string, args ...any) {
		errs = multierror.Append(errs, fieldErr(path, format, args...))
	}
	clusters := map[string]bool{}
	for i, c := range d.Clusters {
		at := fmt.Sprintf("clusters[%d]", i)
		if c.Name == "" {
			add(at, "clusters[%d]: name is empty", i)
		}
		if clusters[c.Name] {
			add(at+".name", "clusters[%d]: duplicate cluster %q", i, c.Name)
		}
		clusters[c.Name] = true
		if c.Port <= 0 || c.Port > 65535 {
			add(at+".port", "cluster %q: port %d is not a port", c.Name, c.Port)
		}
		validateBackups(c, at, add)
	}
	stores := map[string]bool{}
	for i, s := range d.Stores {
		at := fmt.Sprintf("stores[%d]", i)
		if s.Name == "" {
			add(at, "stores[%d]: name is empty", i)
		}
		if stores[s.Name] {
			add(at+".name", "stores[%d]: duplicate store %q", i, s.Name)
		}
		stores[s.Name] = true
		if !clusters[s.Cluster] {
			add(at+".cluster", "store %q: cluster %q is not described", s.Name, s.Cluster)
		}
		if s.TenantColumn == "" {
			add(at+".tenant_column", "store %q: tenant_column is empty", s.Name)
		}
		if len(s.Tables) == 0 && s.Kind != "derived" {
			add(at+".tables", "store %q: no tables", s.Name)
		}
	}
	webhooks := map[string]bool{}
	for i, w := range d.Webhooks {
		at := fmt.Sprintf("webhooks[%d]", i)
		if webhooks[w.Name] {
			add(at+".name", "webhooks[%d]: duplicate webhook %q", i, w.Name)
		}
		webhooks[w.Name] = true
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(at+".url", "webhook %q: url %q is not an http(s) URL", w.Name, w.URL)
		}
	}
	return errs.ErrorOrNil()
}

// sslModes are libpq's sslmode values.
var sslModes = map[string]bool{"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true}

// validateBackups checks a cluster's backup kind, its section and sslmode.
func validateBackups(c Cluster, at string, add func(path, format string, args ...any)) {
	switch c.BackupKind() {
	case BackupsLocal:
	case BackupsPGBackRest:
		if c.PGBackRest == nil {
			add(at+".backups", "cluster %q: backups is pgbackrest but there is no pgbackrest section (stanza, config)", c.Name)
		}
	case BackupsRDS:
		if c.RDS == nil {
			add(at+".backups", "cluster %q: backups is rds but there is no rds section (region, cluster_identifier or instance_identifier)", c.Name)
		}
	default:
		add(at+".backups", "cluster %q: backups %q is not a backup kind (want %s, %s or %s)", c.Name, c.Backups, BackupsLocal, BackupsPGBackRest, BackupsRDS)
	}
	if c.SSLMode != "" && !sslModes[c.SSLMode] {
		add(at+".sslmode", "cluster %q: sslmode %q is not one of libpq's (disable, allow, prefer, require, verify-ca, verify-full)", c.Name, c.SSLMode)
	}
}

// Cluster returns the named cluster.
func (d *Description) Cluster(name string) (Cluster, bool) {
	for _, c := range d.Clusters {
		if c.Name == name {
			return c, true
		}
	}
	return Cluster{}, false
}

// Store returns the named store.
func (d *Description) Store(name string) (Store, bool) {
	for _, s := range d.Stores {
		if s.Name == name {
			return s, true
		}
	}
	return Store{}, false
}

// StoresOfKind returns the stores of one kind, in file order.
func (d *Description) StoresOfKind(kind string) []Store {
	var out []Store
	for _, s := range d.Stores {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}
