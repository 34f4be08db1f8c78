//go:build integration

package sandbox

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
	"github.com/lazarus-dr/lazarus/sandbox/services"
)

// TestProductionChecksums: every site of a seeded fleet has a checksum,
// a drill copy has none, the admin API's GET /v1/production-checksums
// (through httpapi) answers the same map, and the time for the fleet is
// logged. LAZARUS_CHECKSUM_SITES sets the fleet (default 200; the demo's
// is 2,000).
func TestProductionChecksums(t *testing.T) {
	sites := 200
	if v, err := strconv.Atoi(os.Getenv("LAZARUS_CHECKSUM_SITES")); err == nil && v > 0 {
		sites = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dir := testpg.Dir(t, "lazarus-checksums-test-")
	p, err := Up(ctx, Options{StateDir: dir, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Cleanup(func() { _ = p.Down(context.Background()) })
	began := time.Now()
	if _, err := p.Seed(ctx, SeedOptions{Sites: sites, Seed: 3}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	t.Logf("seeded %d sites in %s", sites, time.Since(began).Round(time.Millisecond))

	// A drill copy of one site: left out.
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		t.Fatal(err)
	}
	var src, srcURL string
	if err := cat.QueryRow(ctx, `SELECT site_id, url FROM sites ORDER BY site_id LIMIT 1`).Scan(&src, &srcURL); err != nil {
		t.Fatal(err)
	}
	const copyID = "00000000-0000-5000-8000-0000000c0b1e"
	drillURL := "https://drill-it-" + srcURL[len("https://"):]
	if _, err := cat.Exec(ctx, `INSERT INTO sites (site_id, url, region, tier, customer_id, self_url, restored_from)
		VALUES ($1, $2, 'eu-west', 'free', 'c', 'https://api.example-cloud.test/sites/' || $1, $3)`, copyID, drillURL, src); err != nil {
		t.Fatal(err)
	}

	var took time.Duration
	var sums map[string]string
	for i := 0; i < 2; i++ { // the second run with warm caches
		began = time.Now()
		if sums, err = p.ProductionChecksums(ctx); err != nil {
			t.Fatalf("checksums: %v", err)
		}
		took = time.Since(began)
		t.Logf("production checksums of %d sites: %s", len(sums), took.Round(time.Millisecond))
	}
	if len(sums) != sites {
		t.Errorf("%d checksums, want %d", len(sums), sites)
	}
	if _, ok := sums[copyID]; ok {
		t.Errorf("the drill copy %s has a checksum", copyID)
	}
	if sums[src] == "" {
		t.Errorf("the copy's source %s has no checksum", src)
	}
	// The admin API's own budget: a request gets httpapi.DefaultTimeout.
	if per2000 := took * 2000 / time.Duration(sites); sites >= 1000 && per2000 > httpapi.DefaultTimeout/2 {
		t.Errorf("checksums of %d sites took %s (%s for 2,000): too close to the admin API's %s", sites, took, per2000, httpapi.DefaultTimeout)
	}

	// Through the admin API and its client, with the hook set.
	d := p.Description()
	cfg := services.Config{
		CatalogDSN: p.clusters[schema.ClusterPlatform].DSN(schema.DBCatalog), IdentityDSN: p.clusters[schema.ClusterPlatform].DSN(schema.DBCatalog),
		FlagsDSN: p.clusters[schema.ClusterPlatform].DSN(schema.DBCatalog), AuditDSN: p.clusters[schema.ClusterPlatform].DSN(schema.DBCatalog),
		VendorsDSN: p.clusters[schema.ClusterPlatform].DSN(schema.DBVendors), SearchDSN: p.clusters[schema.ClusterPlatform].DSN(schema.DBSearch),
		Shards:    map[string]string{},
		Checksums: p.ProductionChecksums,
	}
	for _, s := range p.shards() {
		cfg.Shards[s] = p.clusters[schema.ClusterProducts].DSN(s)
	}
	svc, err := services.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	urls := d.Services
	urls.Admin = svc.URLs().Admin
	got, err := httpapi.New(urls).ProductionChecksums(ctx)
	if err != nil {
		t.Fatalf("GET /v1/production-checksums: %v", err)
	}
	if !reflect.DeepEqual(got, sums) {
		t.Errorf("the admin API answered %d checksums, differing from the Platform's %d", len(got), len(sums))
	}
	// Without the hook: 501, a clear error.
	cfg.Checksums = nil
	bare, err := services.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close(context.Background())
	urls.Admin = bare.URLs().Admin
	if _, err := httpapi.New(urls).ProductionChecksums(ctx); err == nil {
		t.Error("an admin API without checksums answered")
	}
}
