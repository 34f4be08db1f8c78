package services

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/lazarus-dr/lazarus/platform"
)

// searchSources are, per product, the query that yields a site's documents
// (doc_id, title, body, url) from its product shard.
var searchSources = map[string]string{
	"jira":                    `SELECT 'issue:' || id, key || ' ' || summary, description, self_url FROM jira_issues WHERE site_id = $1`,
	"confluence":              `SELECT 'page:' || id, title, body, self_url FROM conf_pages WHERE site_id = $1`,
	"jira-service-management": `SELECT 'request:' || id, summary, status, portal_url FROM jsm_requests WHERE site_id = $1`,
	"opsgenie":                `SELECT 'alert:' || id, message, priority, 'https://ops.example-cloud.test/' || site_id || '/alerts/' || id FROM og_alerts WHERE site_id = $1`,
	"statuspage":              `SELECT 'component:' || id, name, status, page_url FROM sp_components WHERE site_id = $1`,
}

func (s *Server) searchHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/sites/{id}/reindex", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Product string `json:"product"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		n, err := s.reindex(r.Context(), r.PathValue("id"), req.Product)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"count": n})
	})
	mux.HandleFunc("GET /v1/sites/{id}/search", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		q := r.URL.Query().Get("q")
		rows, err := s.search.Query(r.Context(), `SELECT product, doc_id, title, url FROM search_docs
			WHERE site_id = $1 AND (title ILIKE '%' || $2 || '%' OR body ILIKE '%' || $2 || '%')
			ORDER BY product, doc_id LIMIT 100`, id, q)
		if err != nil {
			fail(w, fmt.Errorf("search site %s: %w", id, err))
			return
		}
		defer rows.Close()
		out := []platform.SearchDoc{}
		for rows.Next() {
			var d platform.SearchDoc
			if err := rows.Scan(&d.Product, &d.DocID, &d.Title, &d.URL); err != nil {
				fail(w, fmt.Errorf("search site %s: %w", id, err))
				return
			}
			out = append(out, d)
		}
		if err := rows.Err(); err != nil {
			fail(w, fmt.Errorf("search site %s: %w", id, err))
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	return mux
}

// placement names the shard store holding a site's product.
func (s *Server) placement(ctx context.Context, siteID, product string) (string, error) {
	var store string
	err := s.catalog.QueryRow(ctx, `SELECT store FROM placements WHERE site_id = $1 AND product = $2`, siteID, product).Scan(&store)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", notFound("site %s has no placement for product %s", siteID, product)
	}
	if err != nil {
		return "", fmt.Errorf("placement of %s for site %s: %w", product, siteID, err)
	}
	return store, nil
}

// reindex rebuilds the site's documents of one product from its shard, in
// one transaction (a reindex twice gives the same documents).
func (s *Server) reindex(ctx context.Context, siteID, product string) (int, error) {
	src, ok := searchSources[product]
	if !ok {
		return 0, badRequest("reindex: unknown product %q", product)
	}
	if err := s.requireSite(ctx, siteID); err != nil {
		return 0, fmt.Errorf("reindex: %w", err)
	}
	store, err := s.placement(ctx, siteID, product)
	if err != nil {
		return 0, fmt.Errorf("reindex: %w", err)
	}
	shard, ok := s.shards[store]
	if !ok {
		return 0, fmt.Errorf("reindex site %s %s: placement names shard %s, which this server does not know", siteID, product, store)
	}
	rows, err := shard.Query(ctx, src, siteID)
	if err != nil {
		return 0, fmt.Errorf("reindex site %s %s: read %s: %w", siteID, product, store, err)
	}
	var docs [][]any
	for rows.Next() {
		var docID, title, body, url string
		if err := rows.Scan(&docID, &title, &body, &url); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reindex site %s %s: %w", siteID, product, err)
		}
		docs = append(docs, []any{siteID, product, docID, title, body, url})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reindex site %s %s: read %s: %w", siteID, product, store, err)
	}
	tx, err := s.search.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("reindex site %s %s: %w", siteID, product, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `DELETE FROM search_docs WHERE site_id = $1 AND product = $2`, siteID, product); err != nil {
		return 0, fmt.Errorf("reindex site %s %s: %w", siteID, product, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"search_docs"}, []string{"site_id", "product", "doc_id", "title", "body", "url"},
		pgx.CopyFromRows(docs)); err != nil {
		return 0, fmt.Errorf("reindex site %s %s: write: %w", siteID, product, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("reindex site %s %s: %w", siteID, product, err)
	}
	return len(docs), nil
}
