package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/s3media"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
	"github.com/lazarus-dr/lazarus/sandbox/services"
)

// Retention is how far back the sandbox's backups reach (30 days).
const Retention = 720 * time.Hour

// Options configure Up.
type Options struct {
	// StateDir holds everything (clusters, archives, backups, S3 data,
	// state.json, platform.yaml). Required.
	StateDir string
	// PortBase, when set, gives consecutive ports: platform PG, products
	// PG, S3, then the services (catalog, identity, flags, apps, vendors,
	// search, front door, admin). Explicit Ports win over it.
	PortBase int
	Ports    Ports
	// Shards is the number of product shards on first Up (default 4).
	Shards int
	// NoServices skips the HTTP services (tests of the data plane only).
	NoServices bool
	// Network, when set, is an address of this machine with its prefix
	// (10.77.0.1/24): the PostgreSQL clusters also listen on it and trust
	// its network, for workers on other hosts (see pg.ClusterConfig).
	Network string
	// Password makes the clusters require a random password over TCP,
	// kept in the state folder's password file (see password.go), which
	// platform.yaml names; only the first Up of a state folder sets it.
	Password bool
	// Backups is how the clusters are backed up: "local" (pg_basebackup
	// folders and a WAL archive folder; the default) or "pgbackrest" (see
	// pgbackrest.go). Only the first Up of a state folder sets it.
	Backups string
	Logger  *zap.Logger
}

// Platform is a handle on a sandbox: the one Up started in this process, or
// one found by Open (run by another process).
type Platform struct {
	layout Layout
	state  *State
	desc   *platform.Description
	log    *zap.Logger

	clusters map[string]*pg.Cluster

	poolMu sync.Mutex
	pools  map[string]*pgxpool.Pool // by database name

	media *s3media.Store

	// Set only in the process that ran Up.
	owner   bool
	network string // Options.Network
	gw      *exec.Cmd
	gwErr   chan error
	svc     *services.Server
}

// StateDir is the sandbox's state folder.
func (p *Platform) StateDir() string { return p.layout.Root }

// DescriptionPath is the path of platform.yaml.
func (p *Platform) DescriptionPath() string { return p.layout.Description() }

// Description is the platform description the sandbox wrote.
func (p *Platform) Description() *platform.Description { return p.desc }

// State is the recorded state (ports, pids).
func (p *Platform) State() State { return *p.state }

// Media is the S3 media store.
func (p *Platform) Media() *s3media.Store { return p.media }

// Cluster returns one of the two PostgreSQL clusters ("platform", "products").
func (p *Platform) Cluster(name string) *pg.Cluster { return p.clusters[name] }

func clusterNames() []string { return []string{schema.ClusterPlatform, schema.ClusterProducts} }

// databases of a cluster.
func (p *Platform) databases(cluster string) []string {
	if cluster == schema.ClusterPlatform {
		return []string{schema.DBCatalog, schema.DBVendors, schema.DBSearch, schema.DBSandbox}
	}
	var out []string
	for n := 1; n <= p.state.Shards; n++ {
		out = append(out, schema.ShardName(n))
	}
	return out
}

func (p *Platform) clusterOf(db string) string {
	switch db {
	case schema.DBCatalog, schema.DBVendors, schema.DBSearch, schema.DBSandbox:
		return schema.ClusterPlatform
	}
	return schema.ClusterProducts
}

func (p *Platform) shards() []string { return p.databases(schema.ClusterProducts) }

// Pool returns a connection pool on one database (catalog, vendors, search,
// sandbox, shard_N).
func (p *Platform) Pool(ctx context.Context, db string) (*pgxpool.Pool, error) {
	p.poolMu.Lock()
	defer p.poolMu.Unlock()
	if pl, ok := p.pools[db]; ok {
		return pl, nil
	}
	c := p.clusters[p.clusterOf(db)]
	if c == nil {
		return nil, fmt.Errorf("database %q: no such cluster", db)
	}
	cfg, err := pgxpool.ParseConfig(c.DSN(db))
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", db, err)
	}
	cfg.MaxConns = 6
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pl, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", db, err)
	}
	p.pools[db] = pl
	return pl, nil
}

func (p *Platform) closePools() {
	p.poolMu.Lock()
	defer p.poolMu.Unlock()
	for k, pl := range p.pools {
		pl.Close()
		delete(p.pools, k)
	}
}

func newPlatform(stateDir string, log *zap.Logger) (*Platform, error) {
	if stateDir == "" {
		return nil, errors.New("sandbox: state dir is empty")
	}
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, fmt.Errorf("sandbox: state dir %s: %w", stateDir, err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Platform{layout: Layout{Root: abs}, log: log.Named("sandbox"),
		clusters: map[string]*pg.Cluster{}, pools: map[string]*pgxpool.Pool{}}, nil
}

func freePort() (int, error) { return pg.FreePort() }

// resolvePorts fills the ports: recorded ones first, then explicit, then
// PortBase, then free ports.
func resolvePorts(rec *State, o Options) (Ports, error) {
	var out Ports
	if rec != nil {
		out = rec.Ports
	}
	base := o.PortBase
	pick := func(dst *int, explicit, offset int) error {
		if *dst != 0 {
			if explicit != 0 && explicit != *dst {
				return fmt.Errorf("port %d asked for, but this state dir already uses %d (remove the state dir to change ports)", explicit, *dst)
			}
			return nil
		}
		switch {
		case explicit != 0:
			*dst = explicit
		case base != 0:
			*dst = base + offset
		default:
			p, err := freePort()
			if err != nil {
				return err
			}
			*dst = p
		}
		return nil
	}
	var errs *multierror.Error
	add := func(err error) {
		if err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	add(pick(&out.PlatformPG, o.Ports.PlatformPG, 0))
	add(pick(&out.ProductsPG, o.Ports.ProductsPG, 1))
	// An S3 port of 0 stays 0 here: startGateway picks a free one right
	// before the server binds it (a port picked now could be taken by
	// another process while the clusters start) and records it.
	switch {
	case out.S3 != 0:
		if o.Ports.S3 != 0 && o.Ports.S3 != out.S3 {
			add(fmt.Errorf("port %d asked for, but this state dir already uses %d (remove the state dir to change ports)", o.Ports.S3, out.S3))
		}
	case o.Ports.S3 != 0:
		out.S3 = o.Ports.S3
	case base != 0:
		out.S3 = base + 2
	}
	// Service ports of 0 stay 0 here: the services pick free ones and Up
	// records what they picked.
	sp := []struct {
		dst      *int
		explicit int
	}{
		{&out.Services.Catalog, o.Ports.Services.Catalog},
		{&out.Services.Identity, o.Ports.Services.Identity},
		{&out.Services.Flags, o.Ports.Services.Flags},
		{&out.Services.Apps, o.Ports.Services.Apps},
		{&out.Services.Vendors, o.Ports.Services.Vendors},
		{&out.Services.Search, o.Ports.Services.Search},
		{&out.Services.FrontDoor, o.Ports.Services.FrontDoor},
		{&out.Services.Admin, o.Ports.Services.Admin},
	}
	for i, s := range sp {
		if *s.dst != 0 {
			if s.explicit != 0 && s.explicit != *s.dst {
				add(fmt.Errorf("service port %d asked for, but this state dir already uses %d", s.explicit, *s.dst))
			}
			continue
		}
		if s.explicit != 0 {
			*s.dst = s.explicit
		} else if base != 0 {
			*s.dst = base + 3 + i
		}
	}
	return out, errs.ErrorOrNil()
}

func (p *Platform) clusterConfig(name string, port int) pg.ClusterConfig {
	pgBin, _ := tools.PGBin()
	auth, passFile := p.hostAuth()
	return pg.ClusterConfig{
		HostAuth:     auth,
		PassFile:     passFile,
		Name:         name,
		DataDir:      p.layout.DataDir(name),
		Port:         port,
		SocketDir:    p.layout.SocketDir(name),
		PGBin:        pgBin,
		WALArchive:   p.layout.WALArchive(name),
		OSUser:       p.state.OSUser,
		WALSegSizeMB: 1,
		Network:      p.network,
		ExtraConf: map[string]string{
			"max_wal_size":    "512MB",
			"archive_timeout": "60",
			"max_connections": "200",
			// Per-statement counts and times (the pg_stat_statements view,
			// after CREATE EXTENSION): what `make bench` reads to see where
			// a restore's database time goes.
			"shared_preload_libraries": "pg_stat_statements",
		},
	}
}

// Up creates or resumes the sandbox under o.StateDir and starts it: both
// PostgreSQL clusters (WAL archiving on), their databases and schema, the S3
// server with a versioned bucket, and the HTTP services; then writes
// platform.yaml. Call Down to stop it.
func Up(ctx context.Context, o Options) (_ *Platform, err error) {
	started := time.Now()
	p, err := newPlatform(o.StateDir, o.Logger)
	if err != nil {
		return nil, err
	}
	p.network = o.Network
	if err := os.MkdirAll(p.layout.Root, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	rec, err := readState(p.layout)
	if err != nil {
		return nil, err
	}
	if rec != nil && rec.UpPID != os.Getpid() && rec.upAlive() {
		return nil, fmt.Errorf("sandbox up: a sandbox already runs on %s (pid %d): use it, or `lazarus sandbox down` first", p.layout.Root, rec.UpPID)
	}
	ports, err := resolvePorts(rec, o)
	if err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	st := rec
	if st == nil {
		shards := o.Shards
		if shards <= 0 {
			shards = schema.DefaultShards
		}
		st = &State{Shards: shards, OSUser: pg.DefaultOSUser(), Bucket: "media",
			AccessKey: "lazarus", CreatedAt: time.Now().UTC()}
	}
	st.Ports = ports
	if err := resolveBackups(st, o.Backups, rec == nil); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	st.UpPID, st.UpExe = os.Getpid(), selfExe()
	st.StartedAt = time.Now().UTC()
	p.state = st
	p.owner = true
	if err := writeState(p.layout, st); err != nil {
		return nil, err
	}
	if err := p.preparePassword(o.Password); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	defer func() {
		if err != nil {
			_ = p.Down(context.Background())
		}
	}()

	if err := p.startRepo(ctx); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}

	// PostgreSQL.
	type res struct {
		name string
		c    *pg.Cluster
		err  error
	}
	ch := make(chan res, 2)
	for _, name := range clusterNames() {
		port, recorded, explicit := ports.PlatformPG, 0, o.Ports.PlatformPG
		if rec != nil {
			recorded = rec.Ports.PlatformPG
		}
		if name == schema.ClusterProducts {
			port, recorded, explicit = ports.ProductsPG, 0, o.Ports.ProductsPG
			if rec != nil {
				recorded = rec.Ports.ProductsPG
			}
		}
		// A port picked free here may be taken by another process before
		// the server binds it (initdb takes seconds): such a cluster
		// starts on another free port (pg.Cluster.StartPicking).
		picked := recorded == 0 && explicit == 0 && o.PortBase == 0
		go func(name string, port int) {
			c, err := p.startCluster(ctx, name, port, picked)
			ch <- res{name, c, err}
		}(name, port)
	}
	var errs *multierror.Error
	for range clusterNames() {
		r := <-ch
		if r.err != nil {
			errs = multierror.Append(errs, r.err)
			continue
		}
		p.clusters[r.name] = r.c
	}
	if err := errs.ErrorOrNil(); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	st.Ports.PlatformPG = p.clusters[schema.ClusterPlatform].Port()
	st.Ports.ProductsPG = p.clusters[schema.ClusterProducts].Port()
	if err := writeState(p.layout, st); err != nil {
		return nil, err
	}
	if err := p.refreshPGBackRestConfig(); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	p.log.Info("postgres clusters up", zap.Duration("took", time.Since(started)))

	// S3.
	if err := p.startGateway(ctx); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	if p.media, err = s3media.New(p.mediaConfig()); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	if err := p.ensureBucket(ctx); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}

	// Services.
	var urls platform.Services
	if !o.NoServices {
		if err := p.startServices(ctx); err != nil {
			return nil, fmt.Errorf("sandbox up: %w", err)
		}
		urls = p.svc.URLs()
	}
	if err := writeState(p.layout, p.state); err != nil {
		return nil, err
	}
	p.desc = p.describe(urls)
	p.describePGBackRest(p.desc)
	if err := writeDescription(p.layout.Description(), p.desc); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	p.log.Info("sandbox up", zap.String("state", p.layout.Root), zap.Duration("took", time.Since(started)))
	return p, nil
}

func (p *Platform) startCluster(ctx context.Context, name string, port int, picked bool) (*pg.Cluster, error) {
	cfg := p.clusterConfig(name, port)
	if err := p.pgbackrestArchive(&cfg); err != nil {
		return nil, err
	}
	for _, d := range []string{p.layout.BackupDir(name), p.layout.ScratchDir(name)} {
		if err := pg.PrepareDir(d, p.state.OSUser, 0o755); err != nil {
			return nil, fmt.Errorf("cluster %s: %w", name, err)
		}
	}
	c, err := pg.Init(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := p.createStanza(ctx, name); err != nil {
		return nil, err
	}
	start := c.Start
	if picked {
		start = c.StartPicking
	}
	if err := start(ctx); err != nil {
		return nil, err
	}
	if err := p.setPassword(ctx, c); err != nil {
		return nil, err
	}
	for _, db := range p.databases(name) {
		if err := c.CreateDatabase(ctx, db); err != nil {
			return nil, err
		}
		kind := db
		if name == schema.ClusterProducts {
			kind = "products"
		}
		sql, err := schema.SQL(kind)
		if err != nil {
			return nil, err
		}
		conn, err := c.Open(ctx, db)
		if err != nil {
			return nil, err
		}
		_, err = conn.Exec(ctx, sql)
		_ = conn.Close(context.Background())
		if err != nil {
			return nil, fmt.Errorf("cluster %s: apply schema to %s: %w", name, db, err)
		}
	}
	return c, nil
}

func (p *Platform) mediaConfig() platform.Media {
	return platform.Media{
		Endpoint:   "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(p.state.Ports.S3)),
		Region:     "us-east-1",
		Bucket:     p.state.Bucket,
		SitePrefix: "sites/{site}/",
		// The keys are in a file of the state folder, never in platform.yaml.
		CredentialsFile: p.layout.S3Credentials(),
	}
}

func (p *Platform) startServices(ctx context.Context) error {
	shards := map[string]string{}
	for _, s := range p.shards() {
		shards[s] = p.clusters[schema.ClusterProducts].DSN(s)
	}
	plat := p.clusters[schema.ClusterPlatform]
	m := p.mediaConfig()
	cfg := services.Config{
		Host:        "127.0.0.1",
		Ports:       p.state.Ports.Services,
		CatalogDSN:  plat.DSN(schema.DBCatalog),
		IdentityDSN: plat.DSN(schema.DBCatalog),
		FlagsDSN:    plat.DSN(schema.DBCatalog),
		AuditDSN:    plat.DSN(schema.DBCatalog),
		VendorsDSN:  plat.DSN(schema.DBVendors),
		SearchDSN:   plat.DSN(schema.DBSearch),
		Shards:      shards,
		Media: services.MediaConfig{Endpoint: m.Endpoint, Region: m.Region, Bucket: m.Bucket,
			CredentialsFile: m.CredentialsFile},
		Verify:    p.VerifySite,
		Checksums: p.ProductionChecksums,
		PermanentDelete: func(ctx context.Context, ids []string) (any, error) {
			return p.PermanentDelete(ctx, ids)
		},
		Logger: p.log,
	}
	// The services outlive the ctx of Up: Down closes them.
	svc, err := services.Start(context.WithoutCancel(ctx), cfg)
	if err != nil {
		return err
	}
	p.svc = svc
	u := svc.URLs()
	sp := &p.state.Ports.Services
	for _, x := range []struct {
		dst *int
		url string
	}{{&sp.Catalog, u.Catalog}, {&sp.Identity, u.Identity}, {&sp.Flags, u.Flags}, {&sp.Apps, u.Apps},
		{&sp.Vendors, u.Vendors}, {&sp.Search, u.Search}, {&sp.FrontDoor, u.FrontDoor}, {&sp.Admin, u.Admin}} {
		if pu, err := url.Parse(x.url); err == nil {
			if n, err := strconv.Atoi(pu.Port()); err == nil {
				*x.dst = n
			}
		}
	}
	return nil
}

func (p *Platform) describe(urls platform.Services) *platform.Description {
	pgBin, _ := tools.PGBin()
	d := &platform.Description{Name: "lazarus-sandbox", Retention: Retention}
	_, passFile := p.hostAuth()
	for _, name := range clusterNames() {
		port := p.state.Ports.PlatformPG
		if name == schema.ClusterProducts {
			port = p.state.Ports.ProductsPG
		}
		d.Clusters = append(d.Clusters, platform.Cluster{
			Name: name, Host: "127.0.0.1", Port: port, User: pg.Superuser, PGBin: pgBin,
			BackupDir: p.layout.BackupDir(name), WALArchive: p.layout.WALArchive(name),
			OSUser: p.state.OSUser, ScratchDir: p.layout.ScratchDir(name),
			// No TLS on the sandbox's clusters, also when its description
			// names another address (netlab): explicit, not the default.
			SSLMode: pg.SSLDisable, PassFile: passFile,
		})
	}
	d.Stores = schema.Stores(p.state.Shards)
	d.Media = p.mediaConfig()
	d.Services = urls
	return d
}

func writeDescription(path string, d *platform.Description) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("platform description: %w", err)
	}
	raw, err := yaml.Marshal(d)
	if err != nil {
		return fmt.Errorf("platform description: %w", err)
	}
	head := "# Platform description written by `lazarus sandbox up`; read by the worker's adapters.\n"
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append([]byte(head), raw...), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// Open returns a handle on a sandbox that runs (started by `lazarus sandbox
// up` in another process): its databases and media store. It fails when the
// sandbox was never made or its PostgreSQL clusters do not run.
func Open(ctx context.Context, stateDir string, log *zap.Logger) (*Platform, error) {
	p, err := newPlatform(stateDir, log)
	if err != nil {
		return nil, err
	}
	st, err := readState(p.layout)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("sandbox: no sandbox in %s (run `lazarus sandbox up` first)", p.layout.Root)
	}
	p.state = st
	d, err := platform.Load(p.layout.Description())
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	p.desc = d
	var errs *multierror.Error
	for _, name := range clusterNames() {
		port := st.Ports.PlatformPG
		if name == schema.ClusterProducts {
			port = st.Ports.ProductsPG
		}
		c, err := pg.Attach(p.clusterConfig(name, port))
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		running, err := c.Running(ctx)
		if err != nil {
			errs = multierror.Append(errs, err)
		} else if !running {
			errs = multierror.Append(errs, fmt.Errorf("cluster %s is not running", name))
		}
		p.clusters[name] = c
	}
	if err := errs.ErrorOrNil(); err != nil {
		return nil, fmt.Errorf("sandbox in %s is not up (run `lazarus sandbox up`): %w", p.layout.Root, err)
	}
	if p.media, err = s3media.New(p.mediaConfig()); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return p, nil
}

// Close releases the handle's connections without stopping anything.
func (p *Platform) Close() { p.closePools() }

// Down stops everything cleanly: the services, the S3 server, every
// point-in-time clone left running under the clusters' scratch folders (a
// batch that never ran db.drop_clone) and both PostgreSQL clusters. Called on a handle from Open while another process
// runs Up, it asks that process to stop (SIGTERM) and waits for it, then
// stops whatever is left. Idempotent.
func (p *Platform) Down(ctx context.Context) error {
	var errs *multierror.Error
	if !p.owner && p.state != nil && p.state.UpPID != os.Getpid() && p.state.upAlive() {
		pid := p.state.UpPID
		_ = syscall.Kill(pid, syscall.SIGTERM)
		deadline := time.Now().Add(90 * time.Second)
		for processAlive(pid, "") && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if processAlive(pid, "") {
			errs = multierror.Append(errs, fmt.Errorf("sandbox up process %d did not stop within 90s", pid))
		}
		if st, err := readState(p.layout); err == nil && st != nil {
			p.state = st
		}
	}
	if p.svc != nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := p.svc.Close(cctx); err != nil {
			errs = multierror.Append(errs, err)
		}
		cancel()
		p.svc = nil
	}
	p.closePools()
	if err := p.stopGateway(); err != nil {
		errs = multierror.Append(errs, err)
	}
	if p.state != nil {
		if err := p.stopClones(ctx); err != nil {
			errs = multierror.Append(errs, err)
		}
		for _, name := range clusterNames() {
			c := p.clusters[name]
			if c == nil {
				port := p.state.Ports.PlatformPG
				if name == schema.ClusterProducts {
					port = p.state.Ports.ProductsPG
				}
				var err error
				if c, err = pg.Attach(p.clusterConfig(name, port)); err != nil {
					errs = multierror.Append(errs, err)
					continue
				}
			}
			if err := c.Stop(ctx); err != nil {
				errs = multierror.Append(errs, err)
			}
		}
		if err := p.stopRepo(); err != nil {
			errs = multierror.Append(errs, err)
		}
		if p.owner || !p.state.upAlive() {
			p.state.UpPID = 0
		}
		p.state.GatewayPID = 0
		if err := writeState(p.layout, p.state); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	return errs.ErrorOrNil()
}

// Stop stops the sandbox of stateDir whether or not its processes run:
// the `up` process (asked to stop), the S3 server, clones left running and
// both clusters. It is
// what `lazarus sandbox down` does. Idempotent.
func Stop(ctx context.Context, stateDir string, log *zap.Logger) error {
	p, err := newPlatform(stateDir, log)
	if err != nil {
		return err
	}
	st, err := readState(p.layout)
	if err != nil {
		return err
	}
	if st == nil {
		return fmt.Errorf("sandbox: no sandbox in %s", p.layout.Root)
	}
	p.state = st
	return p.Down(ctx)
}

// stopClones stops every PostgreSQL still running from a data folder under
// a cluster's scratch folder: the point-in-time clones platform/pitr makes
// there (ScratchDir/<clone ID>/data) when a batch never ran db.drop_clone.
// Their folders stay: a later batch reuses them (pitr restarts a stopped
// clone) or tears them down.
func (p *Platform) stopClones(ctx context.Context) error {
	pgBin, err := tools.PGBin()
	if err != nil {
		return fmt.Errorf("stop clones: %w", err)
	}
	var errs *multierror.Error
	for _, name := range clusterNames() {
		scratch := p.layout.ScratchDir(name)
		var pidFiles []string
		for _, pattern := range []string{"*/postmaster.pid", "*/*/postmaster.pid"} {
			m, err := filepath.Glob(filepath.Join(scratch, pattern))
			if err != nil {
				return fmt.Errorf("stop clones: %w", err)
			}
			pidFiles = append(pidFiles, m...)
		}
		for _, f := range pidFiles {
			data := filepath.Dir(f)
			if err := pg.StopDataDir(ctx, pgBin, p.state.OSUser, data); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("stop clone %s: %w", data, err))
				continue
			}
			p.log.Info("clone stopped", zap.String("cluster", name), zap.String("data", data))
		}
	}
	return errs.ErrorOrNil()
}

// DiskUsage is the bytes used under the state folder.
func (p *Platform) DiskUsage() int64 {
	var n int64
	_ = filepath.Walk(p.layout.Root, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
