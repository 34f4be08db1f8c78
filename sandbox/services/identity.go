package services

import (
	"fmt"
	"net/http"

	"github.com/lazarus-dr/lazarus/platform"
)

func (s *Server) identityHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sites/{id}/users", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := s.requireSite(r.Context(), id); err != nil {
			fail(w, err)
			return
		}
		rows, err := s.identity.Query(r.Context(), `SELECT id, account_id, email, display_name, active FROM users WHERE site_id = $1 ORDER BY id`, id)
		if err != nil {
			fail(w, fmt.Errorf("users of site %s: %w", id, err))
			return
		}
		defer rows.Close()
		out := []platform.User{}
		for rows.Next() {
			var u platform.User
			if err := rows.Scan(&u.ID, &u.AccountID, &u.Email, &u.DisplayName, &u.Active); err != nil {
				fail(w, fmt.Errorf("users of site %s: %w", id, err))
				return
			}
			out = append(out, u)
		}
		if err := rows.Err(); err != nil {
			fail(w, fmt.Errorf("users of site %s: %w", id, err))
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /v1/sites/{id}/admins", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := s.requireSite(r.Context(), id); err != nil {
			fail(w, err)
			return
		}
		rows, err := s.identity.Query(r.Context(), `SELECT user_id, email, phone FROM site_admins WHERE site_id = $1 ORDER BY user_id`, id)
		if err != nil {
			fail(w, fmt.Errorf("admins of site %s: %w", id, err))
			return
		}
		defer rows.Close()
		out := []platform.SiteAdmin{}
		for rows.Next() {
			var a platform.SiteAdmin
			if err := rows.Scan(&a.UserID, &a.Email, &a.Phone); err != nil {
				fail(w, fmt.Errorf("admins of site %s: %w", id, err))
				return
			}
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			fail(w, fmt.Errorf("admins of site %s: %w", id, err))
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	return mux
}
