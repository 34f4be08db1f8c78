package services

import (
	"context"
	"fmt"
	"net/http"

	"github.com/lazarus-dr/lazarus/platform"
)

func (s *Server) appsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sites/{id}/apps", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := s.requireSite(r.Context(), id); err != nil {
			fail(w, err)
			return
		}
		out, err := s.siteApps(r.Context(), id)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	return mux
}

// siteApps are the app installations the catalog holds for a site.
func (s *Server) siteApps(ctx context.Context, id string) ([]platform.AppInstallation, error) {
	rows, err := s.catalog.Query(ctx, `SELECT app_id, site_id, vendor, name, status FROM app_installations WHERE site_id = $1 ORDER BY app_id`, id)
	if err != nil {
		return nil, fmt.Errorf("apps of site %s: %w", id, err)
	}
	defer rows.Close()
	out := []platform.AppInstallation{}
	for rows.Next() {
		var a platform.AppInstallation
		if err := rows.Scan(&a.AppID, &a.SiteID, &a.Vendor, &a.Name, &a.Status); err != nil {
			return nil, fmt.Errorf("apps of site %s: %w", id, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("apps of site %s: %w", id, err)
	}
	return out, nil
}
