// Package services serves the sandbox platform's HTTP (JSON) services on real
// PostgreSQL: catalog, identity, flags, apps, vendors, search (a derived
// store), the front door, and the sandbox's admin API (faults, truth). Each
// service has its own listener, so each has its own URL and its own faults.
//
// It must never be imported by activities or workflows: they reach these
// services through platform/httpapi. It must never create schemas or seed
// data (package sandbox does), and never hold restore logic.
package services

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
)

// Service names: the keys of Ports, of the faults API and of the URLs.
const (
	Catalog   = "catalog"
	Identity  = "identity"
	Flags     = "flags"
	Apps      = "apps"
	Vendors   = "vendors"
	Search    = "search"
	FrontDoor = "frontdoor"
	Admin     = "admin"
)

// AllServices lists every service in start order.
var AllServices = []string{Catalog, Identity, Flags, Apps, Vendors, Search, FrontDoor, Admin}

// Ports are the listen ports per service; 0 picks a free port.
type Ports struct {
	Catalog   int `yaml:"catalog" json:"catalog"`
	Identity  int `yaml:"identity" json:"identity"`
	Flags     int `yaml:"flags" json:"flags"`
	Apps      int `yaml:"apps" json:"apps"`
	Vendors   int `yaml:"vendors" json:"vendors"`
	Search    int `yaml:"search" json:"search"`
	FrontDoor int `yaml:"front_door" json:"front_door"`
	Admin     int `yaml:"admin" json:"admin"`
}

func (p Ports) of(service string) int {
	switch service {
	case Catalog:
		return p.Catalog
	case Identity:
		return p.Identity
	case Flags:
		return p.Flags
	case Apps:
		return p.Apps
	case Vendors:
		return p.Vendors
	case Search:
		return p.Search
	case FrontDoor:
		return p.FrontDoor
	case Admin:
		return p.Admin
	}
	return 0
}

// MediaConfig is the S3-compatible store holding attachments.
type MediaConfig struct {
	Endpoint string
	Region   string
	Bucket   string
	// CredentialsFile holds the keys (AWS shared credentials format).
	CredentialsFile string
}

// VerifyFunc compares site asSiteID now with the truth of siteID at point
// (package sandbox supplies it; the admin API exposes it).
type VerifyFunc func(ctx context.Context, siteID, asSiteID string, point time.Time) ([]platform.StoreDiff, error)

// ChecksumsFunc maps every production site to its checksum, live traffic
// allowed for (package sandbox supplies it; the admin API exposes it).
type ChecksumsFunc func(ctx context.Context) (map[string]string, error)

// PermanentDeleteFunc is the incident's permanent-delete API: for each ID,
// one after another, it deletes an app installation for an app ID and the
// whole site for a site ID. Package sandbox supplies it (services cannot
// import sandbox); its result is returned to the caller as JSON.
type PermanentDeleteFunc func(ctx context.Context, ids []string) (any, error)

// Config says where the services listen and which databases they use.
type Config struct {
	// Host to listen on; default 127.0.0.1.
	Host  string
	Ports Ports

	// DSNs (libpq URLs or key=value strings). Catalog, identity, flags and
	// audit may be the same database; apps live in the catalog database.
	CatalogDSN  string
	IdentityDSN string
	FlagsDSN    string
	AuditDSN    string
	VendorsDSN  string
	SearchDSN   string
	// Shards are the product shards by name (as in catalog placements).
	Shards map[string]string

	Media MediaConfig

	// Verify is exposed as POST /v1/verify-site on the admin API; nil
	// answers 501.
	Verify VerifyFunc
	// Checksums is exposed as GET /v1/production-checksums on the admin
	// API (a drill's proof that no production tenant changed); nil answers
	// 501.
	Checksums ChecksumsFunc
	// PermanentDelete is exposed as POST /v1/permanent-delete on the
	// catalog; nil answers 501.
	PermanentDelete PermanentDeleteFunc

	// VendorDelay is how long a vendor takes to answer a reattach or
	// migrate of an app whose vendor_installations.delay_ms is 0 (a
	// positive delay_ms wins). Nil means VendorDelay (about 20% of apps
	// take 2 to 5 s); NoVendorDelay answers every app at once.
	VendorDelay func(appID string) time.Duration

	// FaultSeed seeds each service's deterministic fault random source.
	FaultSeed int64

	Logger *zap.Logger
}

func (c *Config) validate() error {
	var errs *multierror.Error
	need := map[string]string{
		"CatalogDSN": c.CatalogDSN, "IdentityDSN": c.IdentityDSN, "FlagsDSN": c.FlagsDSN,
		"AuditDSN": c.AuditDSN, "VendorsDSN": c.VendorsDSN, "SearchDSN": c.SearchDSN,
	}
	names := make([]string, 0, len(need))
	for k := range need {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if need[k] == "" {
			errs = multierror.Append(errs, fmt.Errorf("services config: %s is empty", k))
		}
	}
	if len(c.Shards) == 0 {
		errs = multierror.Append(errs, errors.New("services config: Shards is empty (need at least one product shard DSN)"))
	}
	for name, dsn := range c.Shards {
		if dsn == "" {
			errs = multierror.Append(errs, fmt.Errorf("services config: shard %q has an empty DSN", name))
		}
	}
	for _, s := range AllServices {
		if p := c.Ports.of(s); p < 0 || p > 65535 {
			errs = multierror.Append(errs, fmt.Errorf("services config: port %d of %s is not a port", p, s))
		}
	}
	return errs.ErrorOrNil()
}

// Server runs every service.
type Server struct {
	cfg    Config
	log    *zap.Logger
	faults *faultSet

	catalog  *pgxpool.Pool
	identity *pgxpool.Pool
	flags    *pgxpool.Pool
	audit    *pgxpool.Pool
	vendors  *pgxpool.Pool
	search   *pgxpool.Pool
	shards   map[string]*pgxpool.Pool
	pools    []*pgxpool.Pool // every distinct pool, to close
	done     chan struct{}

	mu      sync.Mutex
	servers map[string]*http.Server
	urls    map[string]string
	wg      sync.WaitGroup
	closed  bool
}

// Start opens the databases, listens on every service's port and serves
// until Close or until ctx ends.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.VendorDelay == nil {
		cfg.VendorDelay = VendorDelay
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger.Named("services"),
		faults:  newFaultSet(cfg.FaultSeed),
		shards:  map[string]*pgxpool.Pool{},
		servers: map[string]*http.Server{},
		urls:    map[string]string{},
		done:    make(chan struct{}),
	}
	if err := s.openPools(ctx); err != nil {
		s.closePools()
		return nil, err
	}
	handlers := map[string]http.Handler{
		Catalog:   s.catalogHandler(),
		Identity:  s.identityHandler(),
		Flags:     s.flagsHandler(),
		Apps:      s.appsHandler(),
		Vendors:   s.vendorsHandler(),
		Search:    s.searchHandler(),
		FrontDoor: s.frontDoorHandler(),
		Admin:     s.adminHandler(),
	}
	for _, name := range AllServices {
		addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Ports.of(name)))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			_ = s.Close(context.Background())
			return nil, fmt.Errorf("services: listen %s on %s: %w", name, addr, err)
		}
		h := handlers[name]
		if name != Admin {
			// The admin API is how faults are lifted: it never suffers them.
			h = s.faults.middleware(name, h)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		s.servers[name] = srv
		s.urls[name] = "http://" + ln.Addr().String()
		s.wg.Add(1)
		go func(name string) {
			defer s.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("service stopped", zap.String("service", name), zap.Error(err))
			}
		}(name)
	}
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close(context.Background())
		case <-s.done:
		}
	}()
	s.log.Info("services started", zap.Any("urls", s.urls))
	return s, nil
}

func (s *Server) openPools(ctx context.Context) error {
	// Databases named by the same DSN share one pool (in the sandbox the
	// catalog, identity, flags and audit stores are one database).
	byDSN := map[string]*pgxpool.Pool{}
	open := func(what, dsn string, maxConns int32) (*pgxpool.Pool, error) {
		if p, ok := byDSN[dsn]; ok {
			return p, nil // the first (catalog, the largest) sets its size
		}
		pc, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("services: %s DSN: %w", what, err)
		}
		pc.MaxConns = maxConns
		p, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return nil, fmt.Errorf("services: open %s database: %w", what, err)
		}
		byDSN[dsn] = p
		s.pools = append(s.pools, p)
		return p, nil
	}
	var err error
	if s.catalog, err = open("catalog", s.cfg.CatalogDSN, 12); err != nil {
		return err
	}
	if s.identity, err = open("identity", s.cfg.IdentityDSN, 6); err != nil {
		return err
	}
	if s.flags, err = open("flags", s.cfg.FlagsDSN, 4); err != nil {
		return err
	}
	if s.audit, err = open("audit", s.cfg.AuditDSN, 4); err != nil {
		return err
	}
	if s.vendors, err = open("vendors", s.cfg.VendorsDSN, 6); err != nil {
		return err
	}
	if s.search, err = open("search", s.cfg.SearchDSN, 6); err != nil {
		return err
	}
	for name, dsn := range s.cfg.Shards {
		p, err := open("shard "+name, dsn, 6)
		if err != nil {
			return err
		}
		s.shards[name] = p
	}
	return nil
}

func (s *Server) closePools() {
	for _, p := range s.pools {
		p.Close()
	}
	s.pools = nil
}

// URLs are the base URLs of the services, for the platform description.
func (s *Server) URLs() platform.Services {
	s.mu.Lock()
	defer s.mu.Unlock()
	return platform.Services{
		Catalog:   s.urls[Catalog],
		Identity:  s.urls[Identity],
		Flags:     s.urls[Flags],
		Apps:      s.urls[Apps],
		Vendors:   s.urls[Vendors],
		Search:    s.urls[Search],
		FrontDoor: s.urls[FrontDoor],
		Admin:     s.urls[Admin],
	}
}

// Close stops every listener (waiting for requests in flight until ctx
// ends) and closes the databases. It is safe to call twice.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	servers := s.servers
	s.mu.Unlock()
	var errs *multierror.Error
	for _, name := range AllServices {
		if srv, ok := servers[name]; ok {
			if err := srv.Shutdown(ctx); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("services: stop %s: %w", name, err))
				_ = srv.Close()
			}
		}
	}
	s.wg.Wait()
	s.closePools()
	return errs.ErrorOrNil()
}
