package services

import (
	"fmt"
	"net/http"
)

// User is one of a site's users (identity service).
type User struct {
	ID          int64  `json:"id"`
	AccountID   string `json:"account_id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Active      bool   `json:"active"`
}

// SiteAdmin is one of a site's contacts.
type SiteAdmin struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
	Phone  string `json:"phone"`
}

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
		out := []User{}
		for rows.Next() {
			var u User
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
		out := []SiteAdmin{}
		for rows.Next() {
			var a SiteAdmin
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
