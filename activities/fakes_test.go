package activities

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// fakePITR plans with the real planner and keeps clones in memory.
type fakePITR struct {
	mu   sync.Mutex
	made []string
	live map[string]bool
}

func (f *fakePITR) PlanClones(points map[string]time.Time, tol time.Duration) (ClonePlan, error) {
	return (&Engine{}).PlanClones(points, tol)
}

func (f *fakePITR) Clone(_ context.Context, c platform.Cluster, at time.Time) (CloneRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := pitr.CloneID(c.Name, at)
	if f.live == nil {
		f.live = map[string]bool{}
	}
	if !f.live[id] {
		f.live[id] = true
		f.made = append(f.made, id)
	}
	return CloneRef{ID: id, Cluster: c.Name, At: at, DSN: fmt.Sprintf("postgres://postgres@127.0.0.1:1/postgres?clone=%s", id)}, nil
}

func (f *fakePITR) Teardown(_ context.Context, _ platform.Cluster, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.live, id)
	return nil
}

func (f *fakePITR) CopyTenant(context.Context, TenantCopy) (TenantCopyResult, error) {
	return TenantCopyResult{}, fmt.Errorf("fake: no copies")
}

type fakeCatalog struct{}

func (fakeCatalog) LookupIDs(_ context.Context, ids []string) ([]platform.IDInfo, error) {
	var out []platform.IDInfo
	for _, id := range ids {
		out = append(out, platform.IDInfo{ID: id, Kind: platform.KindSite, Status: "deleted"})
	}
	return out, nil
}
func (fakeCatalog) GetSite(_ context.Context, id string) (platform.SiteRecord, error) {
	return platform.SiteRecord{SiteID: id, URL: "https://" + id + ".example.test", Status: "active"}, nil
}
func (fakeCatalog) CreateSite(context.Context, platform.CreateSiteRequest) (platform.SiteRecord, error) {
	return platform.SiteRecord{}, fmt.Errorf("fake")
}
func (fakeCatalog) ApplyLicense(context.Context, string, string) error    { return fmt.Errorf("fake") }
func (fakeCatalog) ActivateProduct(context.Context, string, string) error { return fmt.Errorf("fake") }
func (fakeCatalog) PlaceRegion(context.Context, string, string) error     { return fmt.Errorf("fake") }
func (fakeCatalog) SetStatus(context.Context, string, string) error       { return fmt.Errorf("fake") }

type fakeVendors struct{}

func (fakeVendors) Installations(context.Context, string) ([]platform.AppInstallation, error) {
	return nil, nil
}
func (fakeVendors) Reattach(context.Context, string, string) (platform.VendorOperation, error) {
	return platform.VendorOperation{}, fmt.Errorf("fake")
}
func (fakeVendors) Migrate(context.Context, string, string, string) (platform.VendorOperation, error) {
	return platform.VendorOperation{}, fmt.Errorf("fake")
}
func (fakeVendors) Operation(context.Context, string) (platform.VendorOperation, error) {
	return platform.VendorOperation{}, fmt.Errorf("fake")
}

type fakeSearch struct{}

func (fakeSearch) Reindex(context.Context, string, string) (int, error) { return 0, fmt.Errorf("fake") }

type fakeFrontDoor struct{ missing []string }

func (f fakeFrontDoor) CheckSite(context.Context, string) (platform.SiteHealth, error) {
	return platform.SiteHealth{OK: len(f.missing) == 0, Missing: f.missing}, nil
}
