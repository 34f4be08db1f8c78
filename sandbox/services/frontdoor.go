package services

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/lazarus-dr/lazarus/platform"
)

// productRoots are, per product, the table whose rows make the product's
// data reachable, and whether a site with the product activated always has
// at least one (a quiet site may have no Opsgenie alert at all).
var productRoots = map[string]struct {
	table    string
	required bool
}{
	"jira":                    {"jira_projects", true},
	"confluence":              {"conf_spaces", true},
	"jira-service-management": {"jsm_queues", true},
	"opsgenie":                {"og_alerts", false},
	"statuspage":              {"sp_components", true},
}

func (s *Server) frontDoorHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sites/by-url", func(w http.ResponseWriter, r *http.Request) {
		url := r.URL.Query().Get("url")
		if url == "" {
			fail(w, badRequest("query parameter url is required"))
			return
		}
		h, err := s.checkSite(r.Context(), url)
		if err != nil {
			fail(w, err)
			return
		}
		status := http.StatusOK
		if !h.OK {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, h)
	})
	return mux
}

// checkSite says whether the site at url is fully functional: catalog record
// active, products activated and placed, product data reachable on its
// shard, admins present, flags set, every app attached at its vendor. It
// lists everything missing, not just the first thing.
func (s *Server) checkSite(ctx context.Context, url string) (platform.SiteHealth, error) {
	var h platform.SiteHealth
	id, err := s.siteIDByURL(ctx, url)
	if errors.Is(err, errNotFound) {
		h.Missing = []string{"catalog: no site has url " + url}
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("front door %s: %w", url, err)
	}
	h.SiteID = id
	rec, err := s.getSite(ctx, id)
	if err != nil {
		return h, fmt.Errorf("front door %s: %w", url, err)
	}
	var missing []string
	if rec.Status != "active" {
		missing = append(missing, fmt.Sprintf("catalog: site %s is %s, not active", id, rec.Status))
	}
	if len(rec.Products) == 0 {
		missing = append(missing, "catalog: no product activated")
	}
	for _, p := range rec.Products {
		store, ok := rec.Placements[p]
		if !ok {
			missing = append(missing, fmt.Sprintf("catalog: product %s has no placement", p))
			continue
		}
		shard, ok := s.shards[store]
		if !ok {
			missing = append(missing, fmt.Sprintf("product %s: shard %s is unknown", p, store))
			continue
		}
		root, ok := productRoots[p]
		if !ok {
			continue
		}
		var n int64
		if err := shard.QueryRow(ctx, `SELECT count(*) FROM `+root.table+` WHERE site_id = $1`, id).Scan(&n); err != nil {
			missing = append(missing, fmt.Sprintf("product %s: shard %s unreachable: %v", p, store, err))
			continue
		}
		if n == 0 && root.required {
			missing = append(missing, fmt.Sprintf("product %s: no data on shard %s (%s has no rows)", p, store, root.table))
		}
	}
	var admins, flags int64
	if err := s.identity.QueryRow(ctx, `SELECT count(*) FROM site_admins WHERE site_id = $1`, id).Scan(&admins); err != nil {
		return h, fmt.Errorf("front door %s: admins: %w", url, err)
	}
	if admins == 0 {
		missing = append(missing, "identity: no site admins (contacts)")
	}
	if err := s.flags.QueryRow(ctx, `SELECT count(*) FROM site_flags WHERE site_id = $1`, id).Scan(&flags); err != nil {
		return h, fmt.Errorf("front door %s: flags: %w", url, err)
	}
	if flags == 0 {
		missing = append(missing, "flags: no feature flags set")
	}
	apps, err := s.siteApps(ctx, id)
	if err != nil {
		return h, fmt.Errorf("front door %s: %w", url, err)
	}
	for _, a := range apps {
		if a.Status == "uninstalled" {
			continue
		}
		inst, _, err := s.vendorInstallation(ctx, s.vendors, a.AppID)
		switch {
		case errors.Is(err, errNotFound):
			missing = append(missing, fmt.Sprintf("apps: %s (%s): vendor %s does not know it", a.AppID, a.Name, a.Vendor))
		case err != nil:
			return h, fmt.Errorf("front door %s: %w", url, err)
		case inst.SiteID != id:
			missing = append(missing, fmt.Sprintf("apps: %s (%s): vendor %s has it on site %s", a.AppID, a.Name, a.Vendor, inst.SiteID))
		case inst.Status != "installed":
			missing = append(missing, fmt.Sprintf("apps: %s (%s): vendor %s says %s", a.AppID, a.Name, a.Vendor, inst.Status))
		}
	}
	sort.Strings(missing)
	h.Missing = missing
	h.OK = len(missing) == 0
	return h, nil
}
