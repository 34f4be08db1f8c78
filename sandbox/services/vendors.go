package services

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
)

// VendorDelay is how long the vendor of an app takes to answer a reattach
// or migrate: deterministic by app ID, about 20% of apps take 2 to 5
// seconds, the rest answer at once. It applies to apps whose
// vendor_installations.delay_ms is 0 (see Config.VendorDelay).
func VendorDelay(appID string) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(appID))
	v := h.Sum64()
	if v%100 >= 20 {
		return 0
	}
	return time.Duration(2000+(v/100)%3001) * time.Millisecond
}

// NoVendorDelay makes every vendor answer at once (Config.VendorDelay).
func NoVendorDelay(string) time.Duration { return 0 }

func (s *Server) vendorsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/callbacks/uninstall", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			AppID  string `json:"app_id"`
			SiteID string `json:"site_id"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		inst, err := s.vendorUninstall(r.Context(), req.AppID, req.SiteID)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, inst)
	})
	mux.HandleFunc("GET /v1/installations", func(w http.ResponseWriter, r *http.Request) {
		site := r.URL.Query().Get("site_id")
		if site == "" {
			fail(w, badRequest("query parameter site_id is required"))
			return
		}
		out, err := s.vendorInstallations(r.Context(), site)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /v1/installations/{app}", func(w http.ResponseWriter, r *http.Request) {
		inst, _, err := s.vendorInstallation(r.Context(), s.vendors, r.PathValue("app"))
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, inst)
	})
	mux.HandleFunc("POST /v1/reattach", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			AppID  string `json:"app_id"`
			SiteID string `json:"site_id"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		op, err := s.vendorRequest(r.Context(), "reattach", req.AppID, "", req.SiteID)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, op)
	})
	mux.HandleFunc("POST /v1/migrate", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			AppID     string `json:"app_id"`
			OldSiteID string `json:"old_site_id"`
			NewSiteID string `json:"new_site_id"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		op, err := s.vendorRequest(r.Context(), "migrate", req.AppID, req.OldSiteID, req.NewSiteID)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, op)
	})
	mux.HandleFunc("GET /v1/operations/{id}", func(w http.ResponseWriter, r *http.Request) {
		op, err := s.vendorOperation(r.Context(), r.PathValue("id"))
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, op)
	})
	return mux
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Server) vendorInstallation(ctx context.Context, q querier, appID string) (platform.AppInstallation, int, error) {
	var a platform.AppInstallation
	var delay int
	err := q.QueryRow(ctx, `SELECT app_id, site_id, vendor, app_name, status, delay_ms FROM vendor_installations WHERE app_id = $1`, appID).
		Scan(&a.AppID, &a.SiteID, &a.Vendor, &a.Name, &a.Status, &delay)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, 0, notFound("vendor has no installation of app %s", appID)
	}
	if err != nil {
		return a, 0, fmt.Errorf("vendor installation %s: %w", appID, err)
	}
	return a, delay, nil
}

func (s *Server) vendorInstallations(ctx context.Context, siteID string) ([]platform.AppInstallation, error) {
	rows, err := s.vendors.Query(ctx, `SELECT app_id, site_id, vendor, app_name, status FROM vendor_installations WHERE site_id = $1 ORDER BY app_id`, siteID)
	if err != nil {
		return nil, fmt.Errorf("vendor installations of site %s: %w", siteID, err)
	}
	defer rows.Close()
	out := []platform.AppInstallation{}
	for rows.Next() {
		var a platform.AppInstallation
		if err := rows.Scan(&a.AppID, &a.SiteID, &a.Vendor, &a.Name, &a.Status); err != nil {
			return nil, fmt.Errorf("vendor installations of site %s: %w", siteID, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *Server) vendorUninstall(ctx context.Context, appID, siteID string) (platform.AppInstallation, error) {
	if appID == "" || siteID == "" {
		return platform.AppInstallation{}, badRequest("uninstall callback: app_id and site_id are required")
	}
	tx, err := s.vendors.Begin(ctx)
	if err != nil {
		return platform.AppInstallation{}, fmt.Errorf("uninstall app %s: %w", appID, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	inst, _, err := s.vendorInstallation(ctx, tx, appID)
	if err != nil {
		return inst, err
	}
	if inst.SiteID != siteID {
		return inst, fmt.Errorf("%w: uninstall app %s from site %s: the vendor has it on site %s", errConflict, appID, siteID, inst.SiteID)
	}
	if _, err := tx.Exec(ctx, `UPDATE vendor_installations SET status = 'uninstalled', updated_at = now() WHERE app_id = $1`, appID); err != nil {
		return inst, fmt.Errorf("uninstall app %s: %w", appID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO vendor_events (kind, app_id, site_id) VALUES ('uninstall', $1, $2)`, appID, siteID); err != nil {
		return inst, fmt.Errorf("uninstall app %s: %w", appID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return inst, fmt.Errorf("uninstall app %s: %w", appID, err)
	}
	inst.Status = "uninstalled"
	return inst, nil
}

// vendorRequest records a reattach or migrate. It is idempotent: the same
// request while one is pending (or after it took effect) answers the same
// operation. The operation completes delay_ms after it was asked for.
func (s *Server) vendorRequest(ctx context.Context, kind, appID, oldSite, site string) (platform.VendorOperation, error) {
	if appID == "" || site == "" || (kind == "migrate" && oldSite == "") {
		if kind == "migrate" {
			return platform.VendorOperation{}, badRequest("migrate: app_id, old_site_id and new_site_id are required")
		}
		return platform.VendorOperation{}, badRequest("reattach: app_id and site_id are required")
	}
	tx, err := s.vendors.Begin(ctx)
	if err != nil {
		return platform.VendorOperation{}, fmt.Errorf("%s app %s: %w", kind, appID, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	// Serialise requests for one app.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, appID); err != nil {
		return platform.VendorOperation{}, fmt.Errorf("%s app %s: %w", kind, appID, err)
	}
	inst, delay, err := s.vendorInstallation(ctx, tx, appID)
	if err != nil {
		return platform.VendorOperation{}, fmt.Errorf("%s: %w", kind, err)
	}
	var opID string
	var done bool
	err = tx.QueryRow(ctx, `SELECT id, done FROM vendor_operations WHERE kind = $1 AND app_id = $2 AND old_site_id = $3 AND site_id = $4 AND error = ''
		ORDER BY created_at DESC LIMIT 1`, kind, appID, oldSite, site).Scan(&opID, &done)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return platform.VendorOperation{}, fmt.Errorf("%s app %s: %w", kind, appID, err)
	}
	inPlace := inst.SiteID == site && inst.Status == "installed"
	if opID != "" && (!done || inPlace) {
		if err := tx.Commit(ctx); err != nil {
			return platform.VendorOperation{}, fmt.Errorf("%s app %s: %w", kind, appID, err)
		}
		return s.vendorOperation(ctx, opID)
	}
	switch kind {
	case "reattach":
		if inst.SiteID != site {
			return platform.VendorOperation{}, fmt.Errorf("%w: reattach app %s to site %s: the vendor has it on site %s (migrate it instead)",
				errConflict, appID, site, inst.SiteID)
		}
	case "migrate":
		if inst.SiteID != oldSite && inst.SiteID != site {
			return platform.VendorOperation{}, fmt.Errorf("%w: migrate app %s from site %s: the vendor has it on site %s",
				errConflict, appID, oldSite, inst.SiteID)
		}
	}
	if delay == 0 {
		delay = int(s.cfg.VendorDelay(appID).Milliseconds())
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	opID = "op-" + hex.EncodeToString(b[:])
	if _, err := tx.Exec(ctx, `INSERT INTO vendor_operations (id, kind, app_id, old_site_id, site_id, ready_at)
		VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::float8 / 1000))`, opID, kind, appID, oldSite, site, delay); err != nil {
		return platform.VendorOperation{}, fmt.Errorf("%s app %s: %w", kind, appID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE vendor_installations SET status = 'pending', updated_at = now() WHERE app_id = $1`, appID); err != nil {
		return platform.VendorOperation{}, fmt.Errorf("%s app %s: %w", kind, appID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return platform.VendorOperation{}, fmt.Errorf("%s app %s: %w", kind, appID, err)
	}
	s.log.Info("vendor operation", zap.String("op", opID), zap.String("kind", kind), zap.String("app", appID),
		zap.String("site", site), zap.Int("delay_ms", delay))
	return s.vendorOperation(ctx, opID)
}

// vendorOperation answers an operation, completing it when its time came.
func (s *Server) vendorOperation(ctx context.Context, id string) (platform.VendorOperation, error) {
	tx, err := s.vendors.Begin(ctx)
	if err != nil {
		return platform.VendorOperation{}, fmt.Errorf("operation %s: %w", id, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var op platform.VendorOperation
	var kind, site string
	var ready bool
	err = tx.QueryRow(ctx, `SELECT id, app_id, done, error, kind, site_id, ready_at <= now() FROM vendor_operations WHERE id = $1 FOR UPDATE`, id).
		Scan(&op.ID, &op.AppID, &op.Done, &op.Error, &kind, &site, &ready)
	if errors.Is(err, pgx.ErrNoRows) {
		return op, notFound("vendor operation %s does not exist", id)
	}
	if err != nil {
		return op, fmt.Errorf("operation %s: %w", id, err)
	}
	if op.Done || !ready {
		return op, tx.Commit(ctx)
	}
	if _, err := tx.Exec(ctx, `UPDATE vendor_installations SET site_id = $2, status = 'installed', updated_at = now() WHERE app_id = $1`, op.AppID, site); err != nil {
		return op, fmt.Errorf("operation %s: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO vendor_events (kind, app_id, site_id) VALUES ($1, $2, $3)`, kind, op.AppID, site); err != nil {
		return op, fmt.Errorf("operation %s: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE vendor_operations SET done = true WHERE id = $1`, id); err != nil {
		return op, fmt.Errorf("operation %s: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return op, fmt.Errorf("operation %s: %w", id, err)
	}
	op.Done = true
	return op, nil
}
