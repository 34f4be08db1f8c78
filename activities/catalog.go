package activities

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
)

// siteIDNamespace makes Restore 1's new site IDs deterministic (UUIDv5 of
// the batch and the old site ID), so a rerun finds the site it made.
var siteIDNamespace = uuid.MustParse("6c1f8a52-9d0e-4c1b-8a57-3b7e4f2a9d10")

// NewSiteID is the new ID Restore 1 (or a drill) gives a site in a batch.
func NewSiteID(batchID, siteID string) string {
	return uuid.NewSHA1(siteIDNamespace, []byte(batchID+"/"+siteID)).String()
}

// siteTable is the catalog's root table (the first table of part "site").
func (a *Activities) siteTable() (platform.Store, platform.Table, error) {
	s, err := a.storeOfKind("catalog")
	if err != nil {
		return s, platform.Table{}, err
	}
	for _, t := range s.Tables {
		if PartOf(s, t) == PartSite {
			return s, t, nil
		}
	}
	return s, platform.Table{}, permanent(ErrInvalidInput, "catalog store %s has no table of part site", s.Name)
}

// lookupSite asks the catalog what the site is; unknown IDs and app IDs are
// refused (non-retryable).
func (a *Activities) lookupSite(ctx context.Context, siteID string) (platform.IDInfo, error) {
	var infos []platform.IDInfo
	err := a.call(ctx, func(ctx context.Context) (err error) {
		infos, err = a.d.Catalog.LookupIDs(ctx, []string{siteID})
		return err
	})
	if err != nil {
		return platform.IDInfo{}, fmt.Errorf("look up %s: %w", siteID, err)
	}
	for _, info := range infos {
		if info.ID != siteID {
			continue
		}
		switch info.Kind {
		case platform.KindSite:
			return info, nil
		case platform.KindApp:
			return info, permanent(ErrUnknownSite, "%s is an app ID (of site %s), not a site ID", siteID, info.SiteID)
		}
	}
	return platform.IDInfo{}, permanent(ErrUnknownSite, "the platform does not know site %s", siteID)
}

// oldSite reads the site's root catalog row from the clone (its state at
// the restore point).
func (a *Activities) oldSite(ctx context.Context, in contract.StepInput) (map[string]any, error) {
	s, t, err := a.siteTable()
	if err != nil {
		return nil, err
	}
	clone, _, err := a.storeDSNs(ctx, in, s)
	if err != nil {
		return nil, err
	}
	rows, err := a.tenantRows(ctx, clone, s, t.Name, in.SiteID)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, permanent(ErrUnknownSite, "site %s has no %s row at the restore point", in.SiteID, t.Name)
	}
	return rows[0], nil
}

// CatalogUndelete (catalog.undelete, Restore 2) copies the site's catalog
// rows (part site) back from the clone under the same ID. A site that is
// live is refused unless its live rows are exactly what it would write.
func (a *Activities) CatalogUndelete(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	if err := a.need("description", "pitr", "catalog"); err != nil {
		return contract.StepOutput{}, err
	}
	if in.Drill || in.Vars[contract.VarNewSiteID] != "" {
		return contract.StepOutput{}, permanent(ErrDrillWritesLive, "%s restores under the same ID; a drill or a new-ID restore uses %s", contract.ActionCatalogUndelete, contract.ActionCatalogCreateSite)
	}
	if in.SiteID == "" {
		return contract.StepOutput{}, permanent(ErrInvalidInput, "site_id is empty")
	}
	if _, err := a.checkPoint(in); err != nil {
		return contract.StepOutput{}, err
	}
	info, err := a.lookupSite(ctx, in.SiteID)
	if err != nil {
		return contract.StepOutput{}, err
	}
	if info.Status == "active" {
		if err := a.sameAsClone(ctx, in); err != nil {
			return contract.StepOutput{}, err
		}
	}
	picks, err := a.pickKind("catalog", PartSite)
	if err != nil {
		return contract.StepOutput{}, err
	}
	res, err := a.copyStores(ctx, in, picks)
	if err != nil {
		return contract.StepOutput{}, err
	}
	out := contract.StepOutput{Message: copyMessage("catalog undeleted", in, in.SiteID, res)}
	products, known, err := a.productsAt(ctx, in)
	if err != nil {
		return contract.StepOutput{}, err
	}
	if known {
		out.Values = contract.Vars{contract.VarSiteProducts: strings.Join(products, ",")}
	}
	return out, nil
}

// productsAt lists, sorted, the products the site had at the restore point
// (its rows of the catalog's placements table on the clone). known is false
// when the catalog has no placements table.
func (a *Activities) productsAt(ctx context.Context, in contract.StepInput) (products []string, known bool, err error) {
	cat, err := a.storeOfKind("catalog")
	if err != nil {
		return nil, false, err
	}
	table := placementsTable(cat)
	if table == "" {
		return nil, false, nil
	}
	clone, _, err := a.storeDSNs(ctx, in, cat)
	if err != nil {
		return nil, false, err
	}
	rows, err := a.tenantRows(ctx, clone, cat, table, in.SiteID)
	if err != nil {
		return nil, false, err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if p := str(r, "product"); p != "" && !seen[p] {
			seen[p] = true
			products = append(products, p)
		}
	}
	slices.Sort(products)
	return products, true, nil
}

// sameAsClone refuses a live site whose root catalog row differs from the
// clone's (an undelete would not be an undelete there).
func (a *Activities) sameAsClone(ctx context.Context, in contract.StepInput) error {
	s, t, err := a.siteTable()
	if err != nil {
		return err
	}
	clone, live, err := a.storeDSNs(ctx, in, s)
	if err != nil {
		return err
	}
	want, err := a.tenantRows(ctx, clone, s, t.Name, in.SiteID)
	if err != nil {
		return err
	}
	got, err := a.tenantRows(ctx, live, s, t.Name, in.SiteID)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(want, got) {
		return permanent(ErrLiveSite, "site %s is live and active and its %s row differs from the restore point's: refusing to overwrite a live site", in.SiteID, t.Name)
	}
	return nil
}

// CatalogCreateSite (catalog.create_site, Restore 1 and drills) makes a new
// site with a deterministic new ID and the old site's URL (a drill URL in a
// drill), region and tier, recording the old ID. Values: contract.VarNewSiteID,
// VarOldSiteID and VarSiteURL.
func (a *Activities) CatalogCreateSite(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	if err := a.need("description", "catalog"); err != nil {
		return contract.StepOutput{}, err
	}
	if in.SiteID == "" || in.BatchID == "" {
		return contract.StepOutput{}, permanent(ErrInvalidInput, "site_id and batch_id must be set (site %q, batch %q)", in.SiteID, in.BatchID)
	}
	if _, err := a.checkPoint(in); err != nil {
		return contract.StepOutput{}, err
	}
	old, err := a.oldSite(ctx, in)
	if err != nil {
		return contract.StepOutput{}, err
	}
	newID := in.Vars[contract.VarNewSiteID]
	if newID == "" {
		newID = NewSiteID(in.BatchID, in.SiteID)
	}
	siteURL := str(old, "url")
	if siteURL == "" {
		return contract.StepOutput{}, permanent(ErrInvalidInput, "site %s has no url at the restore point", in.SiteID)
	}
	if in.Drill {
		siteURL = platform.DrillURL(siteURL, in.BatchID)
	}
	var rec platform.SiteRecord
	err = a.call(ctx, func(ctx context.Context) (err error) {
		rec, err = a.d.Catalog.CreateSite(ctx, platform.CreateSiteRequest{
			OldSiteID: in.SiteID, NewSiteID: newID, URL: siteURL,
			Region: str(old, "region"), Tier: str(old, "tier"),
			Owner: str(old, "owner"), CustomerID: str(old, "customer_id"),
		})
		return err
	})
	if err != nil {
		return contract.StepOutput{}, fmt.Errorf("create site %s for %s: %w", newID, in.SiteID, err)
	}
	a.log(in).Info("site created: " + newID)
	return contract.StepOutput{
		Message: fmt.Sprintf("site %s created for %s at %s", newID, in.SiteID, rec.URL),
		Values:  contract.Vars{contract.VarNewSiteID: newID, contract.VarOldSiteID: in.SiteID, contract.VarSiteURL: siteURL},
	}, nil
}

// CatalogLicense (catalog.license) applies the license tier the site had
// (param tier overrides).
func (a *Activities) CatalogLicense(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	return a.catalogSet(ctx, in, "tier", a.d.Catalog.ApplyLicense)
}

// CatalogPlaceRegion (catalog.place_region) places the site in the region
// it had (param region overrides).
func (a *Activities) CatalogPlaceRegion(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	return a.catalogSet(ctx, in, "region", a.d.Catalog.PlaceRegion)
}

func (a *Activities) catalogSet(ctx context.Context, in contract.StepInput, field string, set func(ctx context.Context, to, v string) error) (contract.StepOutput, error) {
	if err := a.need("description", "catalog"); err != nil {
		return contract.StepOutput{}, err
	}
	to, err := target(in)
	if err != nil {
		return contract.StepOutput{}, err
	}
	v := in.Params[field]
	if v == "" {
		old, err := a.oldSite(ctx, in)
		if err != nil {
			return contract.StepOutput{}, err
		}
		if v = str(old, field); v == "" {
			return contract.StepOutput{}, permanent(ErrInvalidInput, "site %s has no %s at the restore point and param %s is not set", in.SiteID, field, field)
		}
	}
	if err := a.call(ctx, func(ctx context.Context) error { return set(ctx, to, v) }); err != nil {
		return contract.StepOutput{}, fmt.Errorf("set %s %s on %s: %w", field, v, to, err)
	}
	return contract.StepOutput{Message: fmt.Sprintf("%s %s set on %s", field, v, to)}, nil
}

// hadProduct says whether the site had the product at the restore point,
// from the catalog clone's placements; true when no catalog clone is given
// (nothing to tell by).
func (a *Activities) hadProduct(ctx context.Context, in contract.StepInput, product string) (bool, error) {
	if in.Vars[contract.CloneDSNVar(a.catalogCluster())] == "" {
		return true, nil
	}
	_, had, err := a.placement(ctx, in, product)
	return had, err
}

// catalogCluster is the cluster of the catalog store.
func (a *Activities) catalogCluster() string {
	if s, err := a.storeOfKind("catalog"); err == nil {
		return s.Cluster
	}
	return ""
}

// CatalogActivateProduct (catalog.activate_product, param product)
// activates the product on the target site if the site had it at the
// restore point (per the catalog clone's placements, when a clone is given).
func (a *Activities) CatalogActivateProduct(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	to, product, err := a.targetAndProduct(in, true, "description", "catalog")
	if err != nil {
		return contract.StepOutput{}, err
	}
	// Runbooks activate every product of a list: only those the site had
	// at the restore point are activated.
	if had, err := a.hadProduct(ctx, in, product); err != nil {
		return contract.StepOutput{}, err
	} else if !had {
		return contract.StepOutput{Message: fmt.Sprintf("site %s had no %s at the restore point: not activated", in.SiteID, product)}, nil
	}
	if err := a.call(ctx, func(ctx context.Context) error { return a.d.Catalog.ActivateProduct(ctx, to, product) }); err != nil {
		return contract.StepOutput{}, fmt.Errorf("activate %s on %s: %w", product, to, err)
	}
	return contract.StepOutput{Message: fmt.Sprintf("%s activated on %s", product, to)}, nil
}

// MetadataRestore (metadata.restore) copies the core metadata and
// configuration rows (catalog part metadata).
func (a *Activities) MetadataRestore(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	return a.restoreKind(ctx, in, "metadata restored", "catalog", PartMetadata)
}

// Products lists every product of the description's shards, sorted.
func (a *Activities) Products() []string {
	seen := map[string]bool{}
	for _, s := range a.d.Description.Stores {
		for _, p := range s.Products {
			seen[p] = true
		}
		for _, t := range s.Tables {
			if t.Product != "" {
				seen[t.Product] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// targetAndProduct checks that the dependencies in needs are present (see
// need) and returns the site the step writes to (see target) and its param
// product (see product).
func (a *Activities) targetAndProduct(in contract.StepInput, required bool, needs ...string) (to, product string, err error) {
	if err := a.need(needs...); err != nil {
		return "", "", err
	}
	if to, err = target(in); err != nil {
		return "", "", err
	}
	if product, err = a.product(in, required); err != nil {
		return "", "", err
	}
	return to, product, nil
}

// product reads and checks param product.
func (a *Activities) product(in contract.StepInput, required bool) (string, error) {
	p := in.Params["product"]
	if p == "" {
		if required {
			return "", permanent(ErrInvalidInput, "param %q is missing", "product")
		}
		return "", nil
	}
	known := a.Products()
	for _, k := range known {
		if k == p {
			return p, nil
		}
	}
	return "", permanent(ErrInvalidInput, "param product %q is not a product of the platform (known: %s)", p, strings.Join(known, ", "))
}
