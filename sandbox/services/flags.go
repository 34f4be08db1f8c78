package services

import (
	"fmt"
	"net/http"

	"github.com/lazarus-dr/lazarus/platform"
)

func (s *Server) flagsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sites/{id}/flags", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := s.requireSite(r.Context(), id); err != nil {
			fail(w, err)
			return
		}
		rows, err := s.flags.Query(r.Context(), `SELECT flag, enabled, value FROM site_flags WHERE site_id = $1 ORDER BY flag`, id)
		if err != nil {
			fail(w, fmt.Errorf("flags of site %s: %w", id, err))
			return
		}
		defer rows.Close()
		out := []platform.SiteFlag{}
		for rows.Next() {
			var f platform.SiteFlag
			if err := rows.Scan(&f.Flag, &f.Enabled, &f.Value); err != nil {
				fail(w, fmt.Errorf("flags of site %s: %w", id, err))
				return
			}
			out = append(out, f)
		}
		if err := rows.Err(); err != nil {
			fail(w, fmt.Errorf("flags of site %s: %w", id, err))
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	return mux
}
