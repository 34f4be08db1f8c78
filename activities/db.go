package activities

import (
	"context"
	"fmt"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
)

// DBRestoreTenant (db.restore_tenant, param product) copies the site's rows
// of one product from the clone of the shard that held it at the restore
// point (the clone's catalog placements say which) into the live shard,
// remapped into Vars[contract.VarNewSiteID] when set. When the target is a new site
// that the live catalog already placed on another shard (Restore 1's
// catalog.activate_product / place_region), the rows go to that shard.
func (a *Activities) DBRestoreTenant(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	to, product, err := a.targetAndProduct(in, true, "description", "pitr")
	if err != nil {
		return contract.StepOutput{}, err
	}
	if _, err := a.checkPoint(in); err != nil {
		return contract.StepOutput{}, err
	}
	store, ok, err := a.placement(ctx, in, product)
	if err != nil {
		return contract.StepOutput{}, err
	}
	if !ok {
		return contract.StepOutput{Message: fmt.Sprintf("site %s had no %s at the restore point: nothing to restore", in.SiteID, product)}, nil
	}
	tables := tablesOf(store, func(t platform.Table) bool { return t.Product == "" || t.Product == product })
	if len(tables) == 0 {
		return contract.StepOutput{}, permanent(ErrInvalidInput, "store %s has no table of product %s", store.Name, product)
	}
	dest := store
	if to != in.SiteID {
		if live, ok, err := a.livePlacement(ctx, to, product); err != nil {
			return contract.StepOutput{}, err
		} else if ok {
			dest = live
		}
	}
	res, err := a.copyStores(ctx, in, []storePick{{store: store, tables: tables, dest: dest}})
	if err != nil {
		return contract.StepOutput{}, err
	}
	out := contract.StepOutput{Message: copyMessage(product+" restored from "+store.Name+" into "+dest.Name, in, to, res)}
	out.Values = contract.Vars{contract.StoreVar(product): dest.Name}
	return out, nil
}

// livePlacement is the store the live catalog places a site's product on.
func (a *Activities) livePlacement(ctx context.Context, siteID, product string) (platform.Store, bool, error) {
	cat, err := a.storeOfKind("catalog")
	if err != nil {
		return platform.Store{}, false, err
	}
	table := placementsTable(cat)
	if table == "" {
		return platform.Store{}, false, nil
	}
	c, ok := a.d.Description.Cluster(cat.Cluster)
	if !ok {
		return platform.Store{}, false, permanent(ErrInvalidInput, "store %s: cluster %q not described", cat.Name, cat.Cluster)
	}
	rows, err := a.tenantRows(ctx, LiveDSN(c, cat.Database), cat, table, siteID)
	if err != nil {
		return platform.Store{}, false, err
	}
	return a.storeOfPlacement(rows, siteID, product)
}

func placementsTable(cat platform.Store) string {
	for _, t := range cat.Tables {
		if t.Name == "placements" || t.Part == "placements" {
			return t.Name
		}
	}
	return ""
}

// storeOfPlacement finds the product's row among a site's placements.
func (a *Activities) storeOfPlacement(rows []map[string]any, siteID, product string) (platform.Store, bool, error) {
	for _, r := range rows {
		if str(r, "product") != product {
			continue
		}
		name := str(r, "store")
		if name == "" {
			name = str(r, "database")
		}
		if s, ok := a.d.Description.Store(name); ok && s.Kind == "product" {
			return s, true, nil
		}
		return platform.Store{}, false, permanent(ErrInvalidInput, "site %s: %s placed on store %q, which is not a product store of the platform description", siteID, product, name)
	}
	return platform.Store{}, false, nil
}

// placement finds the product shard that held the site's product at the
// restore point, from the catalog clone's placements (a table of the
// catalog store with product and store columns).
func (a *Activities) placement(ctx context.Context, in contract.StepInput, product string) (platform.Store, bool, error) {
	var holding []platform.Store
	for _, s := range a.d.Description.StoresOfKind("product") {
		for _, p := range s.Products {
			if p == product {
				holding = append(holding, s)
			}
		}
	}
	if len(holding) == 0 {
		return platform.Store{}, false, permanent(ErrInvalidInput, "no product store holds %s", product)
	}
	cat, err := a.storeOfKind("catalog")
	if err != nil {
		return platform.Store{}, false, err
	}
	table := placementsTable(cat)
	if table == "" {
		if len(holding) == 1 {
			return holding[0], true, nil
		}
		return platform.Store{}, false, permanent(ErrInvalidInput, "catalog store %s has no placements table and %d stores hold %s", cat.Name, len(holding), product)
	}
	clone, _, err := a.storeDSNs(ctx, in, cat)
	if err != nil {
		return platform.Store{}, false, err
	}
	rows, err := a.tenantRows(ctx, clone, cat, table, in.SiteID)
	if err != nil {
		return platform.Store{}, false, err
	}
	return a.storeOfPlacement(rows, in.SiteID, product)
}
