package sandbox

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// VerifyOptions say what to verify.
type VerifyOptions struct {
	// IDs are the IDs of a disaster list (sites and apps); every other
	// tenant is checked to be exactly as before (plus its traffic).
	IDs []string
	// Intended are app IDs whose deletion was meant (the script's correct
	// app IDs): each must stay uninstalled, and its installation is left out
	// of its site's comparison like a listed app's.
	Intended []string
}

// SiteReport is one listed site compared with its truth.
type SiteReport struct {
	SiteID string `json:"site_id"`
	// AsSiteID is the site holding it now (differs after a Restore 1);
	// empty when the site is not back at all.
	AsSiteID string               `json:"as_site_id,omitempty"`
	OK       bool                 `json:"ok"`
	Stores   []platform.StoreDiff `json:"stores"`
}

// AppReport is one listed app.
type AppReport struct {
	AppID   string `json:"app_id"`
	SiteID  string `json:"site_id"`
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
	// Intended is true for an app whose deletion was meant.
	Intended bool `json:"intended,omitempty"`
}

// VerifyReport is the whole verification.
type VerifyReport struct {
	Sites   []SiteReport `json:"sites"`
	Apps    []AppReport  `json:"apps"`
	Unknown []string     `json:"unknown,omitempty"`
	// Others: every other tenant with a truth.
	OthersChecked int          `json:"others_checked"`
	OthersDamaged []SiteReport `json:"others_damaged,omitempty"`
	// NewTenants are live sites without truth that no listed site explains.
	NewTenants []string      `json:"new_tenants,omitempty"`
	OK         bool          `json:"ok"`
	Took       time.Duration `json:"took"`
}

// DamagedSites lists the listed sites that do not match.
func (r *VerifyReport) DamagedSites() []string {
	var out []string
	for _, s := range r.Sites {
		if !s.OK {
			out = append(out, s.SiteID)
		}
	}
	return out
}

// MissingApps lists the listed apps not installed again.
func (r *VerifyReport) MissingApps() []string {
	var out []string
	for _, a := range r.Apps {
		if !a.OK {
			out = append(out, a.AppID)
		}
	}
	return out
}

// Verify compares every listed site with its truth (found under a new ID
// through catalog sites.restored_from after a Restore 1), checks every
// listed app is installed again (catalog and vendor agree), and checks that
// every other tenant is exactly its truth plus the traffic it received.
func (p *Platform) Verify(ctx context.Context, o VerifyOptions) (*VerifyReport, error) {
	start := time.Now()
	rep := &VerifyReport{}
	known, err := p.lookupIDs(ctx, append(append([]string{}, o.IDs...), o.Intended...))
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	var sites, apps []string
	listedSite := map[string]bool{}
	intended := map[string]bool{}
	seen := map[string]bool{}
	for _, id := range o.Intended {
		if e, ok := known[id]; ok && e.kind == "site" {
			return nil, fmt.Errorf("verify: intended deletion %s is a site ID, not an app ID", id)
		}
		intended[id] = true
	}
	for _, id := range append(append([]string{}, o.IDs...), o.Intended...) {
		if seen[id] {
			continue
		}
		seen[id] = true
		e, ok := known[id]
		switch {
		case !ok:
			rep.Unknown = append(rep.Unknown, id)
		case e.kind == "site":
			sites = append(sites, id)
			listedSite[id] = true
		default:
			apps = append(apps, id)
		}
	}
	appTruth, err := p.loadAppTruth(ctx, apps)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	restoredAs, drills, err := p.restoredAs(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	live, err := p.liveSites(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	truth, err := p.loadTruth(ctx, nil, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	rep.OK = len(rep.Unknown) == 0
	// Apps.
	if len(apps) > 0 {
		cur, err := p.appStates(ctx, apps)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		for _, a := range apps {
			ar := AppReport{AppID: a, Intended: intended[a]}
			t, ok := appTruth[a]
			c := cur[a]
			ar.SiteID = t.site
			want := t.site
			if n, ok := restoredAs[t.site]; ok && !live[t.site] {
				want = n
			}
			switch {
			case ar.Intended:
				if c.site != "" && c.status == "installed" {
					ar.Problem = fmt.Sprintf("installed again on site %s, but its deletion was intended", c.site)
				}
			case !ok:
				ar.Problem = "no truth recorded for this app"
			case c.site == "":
				ar.Problem = "not installed (no app installation in the catalog)"
			case c.site != want:
				ar.Problem = fmt.Sprintf("installed on site %s, want %s", c.site, want)
			case c.status != "installed":
				ar.Problem = "catalog says " + c.status
			case c.vendorStatus != "installed":
				ar.Problem = fmt.Sprintf("vendor says %q", c.vendorStatus)
			case c.vendorSite != want:
				ar.Problem = fmt.Sprintf("vendor has it on site %s, want %s", c.vendorSite, want)
			default:
				h, err := p.appHashes(ctx, nil, t.site, c.site)
				if err != nil {
					return nil, fmt.Errorf("verify: %w", err)
				}
				match := false
				for _, x := range h {
					if x.appID == a && x.hash == t.hash {
						match = true
					}
				}
				if !match {
					ar.Problem = "installation differs from its truth"
				}
			}
			ar.OK = ar.Problem == ""
			rep.OK = rep.OK && ar.OK
			rep.Apps = append(rep.Apps, ar)
		}
	}
	// Fingerprints from here on: one snapshot per database, taken before
	// the traffic log is read (see snapshot).
	snap, ex, err := p.openSnapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer snap.close()
	// Listed apps' installations are checked on their own: leave them out
	// of their sites' catalog fingerprints (on both sides).
	appOutBySite := map[string][]appHash{}
	for _, a := range apps {
		t, ok := appTruth[a]
		if !ok {
			continue
		}
		appOutBySite[t.site] = append(appOutBySite[t.site], t)
		ex.addRow("app_installations", t.site, a)
	}
	explained := map[string]bool{}
	for _, s := range sites {
		sr := SiteReport{SiteID: s}
		as := ""
		if live[s] {
			as = s
		} else if n, ok := restoredAs[s]; ok {
			as = n
		}
		sr.AsSiteID = as
		explained[as] = true
		var now map[string]storeFP
		if as != "" {
			// Rows excluded under the old ID (traffic before the
			// deletion, listed apps) are excluded under the new one.
			ex.alias(s, as)
			now, err = p.siteFingerprint(ctx, snap, s, as, ex, fpOptions{})
			if err != nil {
				return nil, fmt.Errorf("verify: %w", err)
			}
		}
		sr.Stores = compareSite(truth[s], now, appOutBySite[s], nil)
		if len(truth[s]) == 0 {
			sr.Stores = append(sr.Stores, platform.StoreDiff{Store: "truth", Diff: "no truth recorded for this site"})
		}
		sr.OK = true
		for _, d := range sr.Stores {
			sr.OK = sr.OK && d.Match
		}
		if as == "" {
			sr.OK = false
		}
		rep.OK = rep.OK && sr.OK
		rep.Sites = append(rep.Sites, sr)
	}
	// Every other tenant.
	now, err := p.fleetFingerprints(ctx, snap, nil, ex)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	others := make([]string, 0, len(truth))
	for s := range truth {
		if !listedSite[s] {
			others = append(others, s)
		}
	}
	sort.Strings(others)
	for _, s := range others {
		diffs := compareSite(truth[s], now[s], appOutBySite[s], nil)
		rep.OthersChecked++
		ok := true
		for _, d := range diffs {
			ok = ok && d.Match
		}
		if !ok {
			as := ""
			if live[s] {
				as = s
			}
			rep.OthersDamaged = append(rep.OthersDamaged, SiteReport{SiteID: s, AsSiteID: as, Stores: diffs})
			rep.OK = false
		}
	}
	for s := range live {
		if _, ok := truth[s]; !ok && !explained[s] && !drills[s] {
			rep.NewTenants = append(rep.NewTenants, s)
		}
	}
	sort.Strings(rep.NewTenants)
	rep.Took = time.Since(start)
	return rep, nil
}

// restoredAs maps an old site ID to the site restored from it (Restore 1);
// drill copies (see drill.go) are no restore: they are returned apart.
func (p *Platform) restoredAs(ctx context.Context) (map[string]string, map[string]bool, error) {
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return nil, nil, err
	}
	rows, err := cat.Query(ctx, `SELECT s.restored_from, s.site_id, s.url,
		coalesce((SELECT l.url FROM sites l WHERE l.site_id = s.restored_from),
		         (SELECT r.url FROM id_registry r WHERE r.id = s.restored_from AND r.kind = 'site'), '')
		FROM sites s WHERE s.restored_from IS NOT NULL AND s.restored_from <> '' ORDER BY s.created_at`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	out, drills := map[string]string{}, map[string]bool{}
	for rows.Next() {
		var from, id, u, orig string
		if err := rows.Scan(&from, &id, &u, &orig); err != nil {
			return nil, nil, err
		}
		if orig != "" && platform.IsDrillURL(u, orig) {
			drills[id] = true
			continue
		}
		out[from] = id
	}
	return out, drills, rows.Err()
}

func (p *Platform) liveSites(ctx context.Context) (map[string]bool, error) {
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return nil, err
	}
	rows, err := cat.Query(ctx, `SELECT site_id FROM sites`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

type appState struct {
	site, status, vendorSite, vendorStatus string
}

func (p *Platform) appStates(ctx context.Context, apps []string) (map[string]appState, error) {
	out := map[string]appState{}
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return nil, err
	}
	rows, err := cat.Query(ctx, `SELECT app_id, site_id, status FROM app_installations WHERE app_id = ANY($1)`, apps)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var s appState
		if err := rows.Scan(&id, &s.site, &s.status); err != nil {
			rows.Close()
			return nil, err
		}
		out[id] = s
	}
	rows.Close()
	ven, err := p.Pool(ctx, schema.DBVendors)
	if err != nil {
		return nil, err
	}
	rows, err = ven.Query(ctx, `SELECT app_id, site_id, status FROM vendor_installations WHERE app_id = ANY($1)`, apps)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, site, status string
		if err := rows.Scan(&id, &site, &status); err != nil {
			return nil, err
		}
		s := out[id]
		s.vendorSite, s.vendorStatus = site, status
		out[id] = s
	}
	return out, rows.Err()
}

// Write prints the report: per listed site, per store match or the
// difference; per app; then the other tenants.
func (r *VerifyReport) Write(w io.Writer) {
	for _, id := range r.Unknown {
		fmt.Fprintf(w, "UNKNOWN  %s: neither a site nor an app\n", id)
	}
	for _, s := range r.Sites {
		state := "MATCH  "
		if !s.OK {
			state = "DAMAGED"
		}
		as := ""
		switch {
		case s.AsSiteID == "":
			as = " (not restored)"
		case s.AsSiteID != s.SiteID:
			as = " (restored as " + s.AsSiteID + ")"
		}
		fmt.Fprintf(w, "%s  site %s%s\n", state, s.SiteID, as)
		for _, d := range s.Stores {
			if d.Match {
				fmt.Fprintf(w, "           %-28s match\n", d.Store)
			} else {
				fmt.Fprintf(w, "           %-28s DIFFERS: %s\n", d.Store, d.Diff)
			}
		}
	}
	for _, a := range r.Apps {
		switch {
		case a.OK && a.Intended:
			fmt.Fprintf(w, "MATCH    app %s (site %s): stays deleted, as intended\n", a.AppID, a.SiteID)
		case a.OK:
			fmt.Fprintf(w, "MATCH    app %s (site %s): installed\n", a.AppID, a.SiteID)
		default:
			fmt.Fprintf(w, "MISSING  app %s (site %s): %s\n", a.AppID, a.SiteID, a.Problem)
		}
	}
	fmt.Fprintf(w, "other tenants: %d checked, %d differ from their truth\n", r.OthersChecked, len(r.OthersDamaged))
	for _, s := range r.OthersDamaged {
		fmt.Fprintf(w, "DAMAGED  other site %s\n", s.SiteID)
		for _, d := range s.Stores {
			if !d.Match {
				fmt.Fprintf(w, "           %-28s DIFFERS: %s\n", d.Store, d.Diff)
			}
		}
	}
	if len(r.NewTenants) > 0 {
		fmt.Fprintf(w, "new tenants without truth (not checked): %d\n", len(r.NewTenants))
	}
	damaged, missing := len(r.DamagedSites()), len(r.MissingApps())
	fmt.Fprintf(w, "listed: %d sites (%d match, %d damaged), %d apps (%d installed, %d missing), %d unknown IDs\n",
		len(r.Sites), len(r.Sites)-damaged, damaged, len(r.Apps), len(r.Apps)-missing, missing, len(r.Unknown))
	if r.OK {
		fmt.Fprintln(w, "verify: everything matches")
	} else {
		fmt.Fprintln(w, "verify: DIFFERENCES FOUND")
	}
}
