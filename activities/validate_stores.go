package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// The product's own check of a restored site's stores (validate.automated):
// every table the restore copies is compared, for the site, between the
// restore point's clone and the live store, through the ID remap when the
// site was restored under a new ID. No oracle is needed: the clone is the
// restore point.
//
// What is compared is exactly what the restore actions copy (see PartOf):
//
//   - product stores: for each product the site had at the point (the
//     clone's placements), the product's tables of the shard that held it,
//     against the live shard the target site's product is placed on now (the
//     same shard, or another one for a new ID: see DBRestoreTenant);
//   - identity and flags stores: every table (identity.sync, flags.restore);
//   - the catalog store: part metadata (metadata.restore); part apps
//     (apps.reattach), except in a drill, which copies no installation (app
//     IDs stay with the live site); part site (catalog.undelete) only when the
//     site is restored under its own ID: under a new ID those rows are made
//     by the catalog API (catalog.create_site, license, activate_product,
//     place_region) with their own creation times, statuses and shards, so
//     they are not copies; the front door and the catalog record check them;
//   - never derived stores (search.reindex rebuilds them), nor audit stores
//     nor any other kind (no action copies them).
//
// With param product (the runbooks' per-product validation steps) only that
// product's tables are compared; without it, everything above.
//
// Live traffic: users may write to a restored site between its restore and
// its validation (a Restore 2 site is active as soon as its catalog rows are
// back). The restore itself keeps rows written since the point (INSERT ...
// ON CONFLICT DO NOTHING), so the rule is the restore's: every row of the
// point must be live and equal, matched by primary key; live rows that did
// not exist at the point are allowed, and counted in the message. A row of
// the point that was changed or deleted since is reported: the check cannot
// tell a user's edit from a bad restore, so the step retries and then parks,
// and an operator decides.
//
// Cost: per table, one checksum query on each side (pitr.TenantChecksum, in
// the server); only a table whose checksums differ is compared row by row
// (pitr.CompareTenantTable, which streams one key and md5 per row).

// storeCheck is some tables of a store at the point and the live store that
// holds them now.
type storeCheck struct {
	store  platform.Store // on the clone
	dest   platform.Store // live: store itself, or another shard
	tables []platform.Table
}

// storeTally sums the comparisons of every store.
type storeTally struct {
	stores, tables  int
	rows, extra     int64
	problems, notes []string
}

// cloneKnown says whether the site's vars name a clone of the cluster (a
// db.clone step served it): without one, no action restored its stores.
func cloneKnown(in contract.StepInput, cluster string) bool {
	return in.Vars[contract.CloneDSNVar(cluster)] != "" || in.Vars[contract.CloneIDVar(cluster)] != ""
}

// storeChecks lists the tables to compare (see the rule above) and notes
// what could not be compared for want of a clone.
func (a *Activities) storeChecks(ctx context.Context, in contract.StepInput, to, product string) ([]storeCheck, []string, error) {
	var checks []storeCheck
	var notes []string
	skipped := map[string]bool{}
	add := func(s, dest platform.Store, tables []platform.Table) {
		if len(tables) == 0 {
			return
		}
		if !cloneKnown(in, s.Cluster) {
			if !skipped[s.Cluster] {
				notes = append(notes, fmt.Sprintf("stores of cluster %s not compared (no clone of it in this site's vars)", s.Cluster))
				skipped[s.Cluster] = true
			}
			return
		}
		for i := range checks {
			if checks[i].store.Name == s.Name && checks[i].dest.Name == dest.Name {
				checks[i].tables = mergeTables(checks[i].tables, tables)
				return
			}
		}
		checks = append(checks, storeCheck{store: s, dest: dest, tables: tables})
	}
	if product == "" {
		for _, s := range a.d.Description.Stores {
			add(s, s, a.restoredTables(in, to, s))
		}
	}
	products := []string{product}
	if product == "" {
		products = a.Products()
	}
	if cat, err := a.storeOfKind("catalog"); err == nil && !cloneKnown(in, cat.Cluster) && placementsTable(cat) != "" {
		notes = append(notes, fmt.Sprintf("product stores not compared (no clone of cluster %s, whose catalog says where the products were)", cat.Cluster))
		return checks, notes, nil
	}
	for _, p := range products {
		s, had, err := a.placement(ctx, in, p)
		if err != nil {
			return nil, nil, err
		}
		if !had {
			continue
		}
		dest := s
		if to != in.SiteID {
			live, ok, err := a.livePlacement(ctx, to, p)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				dest = live
			}
		}
		add(s, dest, tablesOf(s, func(t platform.Table) bool { return t.Product == "" || t.Product == p }))
	}
	return checks, notes, nil
}

// restoredTables are the tables of a store other than a product store that
// the restore copies for the site (see the rule above).
func (a *Activities) restoredTables(in contract.StepInput, to string, s platform.Store) []platform.Table {
	switch s.Kind {
	case "identity", "flags":
		return s.Tables
	case "catalog":
		return tablesOf(s, func(t platform.Table) bool {
			switch PartOf(s, t) {
			case PartMetadata:
				return true
			case PartApps:
				return !in.Drill
			case PartSite:
				return to == in.SiteID
			}
			return false
		})
	}
	return nil
}

// mergeTables appends to a the tables of b it lacks.
func mergeTables(a, b []platform.Table) []platform.Table {
	have := map[string]bool{}
	for _, t := range a {
		have[t.Name] = true
	}
	for _, t := range b {
		if !have[t.Name] {
			a = append(a, t)
		}
	}
	return a
}

// compareStores compares every check's tables, clone against live, into
// the tally.
func (a *Activities) compareStores(ctx context.Context, in contract.StepInput, to string, checks []storeCheck, tally *storeTally) error {
	for _, c := range checks {
		clone, _, err := a.storeDSNs(ctx, in, c.store)
		if err != nil {
			return err
		}
		cl, ok := a.d.Description.Cluster(c.dest.Cluster)
		if !ok {
			return permanent(ErrInvalidInput, "store %s: cluster %q is not in the platform description", c.dest.Name, c.dest.Cluster)
		}
		cctx, stop := a.keepAlive(ctx, a.d.CopyTimeout, nil)
		res, err := a.compareStore(cctx, c, clone, LiveDSN(cl, c.dest.Database), in.SiteID, to)
		stop()
		if err != nil {
			return fmt.Errorf("compare store %s of site %s with the restore point: %w", c.dest.Name, to, err)
		}
		tally.stores++
		for _, r := range res {
			tally.tables++
			tally.rows += r.Rows
			tally.extra += r.Extra
			if !r.OK() {
				tally.problems = append(tally.problems, tableProblem(c.dest.Name, r))
			}
		}
	}
	return nil
}

// compareStore compares one check's tables: the checksums first, then, for
// a table whose checksums differ, its rows.
func (a *Activities) compareStore(ctx context.Context, c storeCheck, cloneDSN, liveDSN, siteID, to string) ([]pitr.TableComparison, error) {
	clone, err := a.d.Pools.Acquire(ctx, cloneDSN)
	if err != nil {
		return nil, fmt.Errorf("clone of %s: %w", c.store.Name, err)
	}
	defer clone.Release()
	live, err := a.d.Pools.Acquire(ctx, liveDSN)
	if err != nil {
		return nil, fmt.Errorf("live %s: %w", c.dest.Name, err)
	}
	defer live.Release()
	sub := c.store
	sub.Tables = c.tables
	want, err := pitr.TenantChecksum(ctx, clone, sub, siteID, to)
	if err != nil {
		return nil, fmt.Errorf("clone: %w", err)
	}
	sub.Name = c.dest.Name
	got, err := pitr.TenantChecksum(ctx, live, sub, to, to)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	out := make([]pitr.TableComparison, 0, len(c.tables))
	for i, t := range c.tables {
		if want.Tables[i] == got.Tables[i] {
			out = append(out, pitr.TableComparison{Table: t.Name, Rows: want.Tables[i].Rows})
			continue
		}
		r, err := pitr.CompareTenantTable(ctx, clone, live, c.store, t, siteID, to)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// tableProblem is the line naming a table whose rows are not those of the
// point, e.g. "store shard_2 table jira_issues: 1 row differs from the
// restore point (of 412; key (17))".
func tableProblem(store string, r pitr.TableComparison) string {
	var what []string
	if r.Missing > 0 {
		what = append(what, plural(r.Missing, "row")+" missing")
	}
	if r.Differ > 0 {
		verb := "differ"
		if r.Differ == 1 {
			verb = "differs"
		}
		what = append(what, fmt.Sprintf("%s %s from the restore point", plural(r.Differ, "row"), verb))
	}
	keys := ""
	if len(r.Keys) > 0 {
		keys = "; key " + strings.Join(r.Keys, ", ")
		if r.Missing+r.Differ > int64(len(r.Keys)) {
			keys += ", ..."
		}
	}
	return fmt.Sprintf("store %s table %s: %s (of %d%s)", store, r.Table, strings.Join(what, ", "), r.Rows, keys)
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
