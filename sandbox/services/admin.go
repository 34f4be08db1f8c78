package services

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// VerifyRequest is the body of POST /v1/verify-site.
type VerifyRequest struct {
	SiteID string `json:"site_id"`
	// AsSiteID is the site to compare (after Restore 1 or in a drill);
	// empty means SiteID.
	AsSiteID string    `json:"as_site_id,omitempty"`
	Point    time.Time `json:"point"`
}

func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.faults.snapshot())
	})
	mux.HandleFunc("PUT /v1/faults/{service}", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := decode(r, &f); err != nil {
			fail(w, err)
			return
		}
		svc := r.PathValue("service")
		if err := s.faults.set(svc, f); err != nil {
			fail(w, badRequest("%v", err))
			return
		}
		s.log.Info("fault set", zap.String("service", svc), zap.Float64("error_rate", f.ErrorRate),
			zap.Int("latency_ms", f.LatencyMS), zap.Bool("outage", f.Outage))
		writeJSON(w, http.StatusOK, s.faults.snapshot()[svc])
	})
	mux.HandleFunc("DELETE /v1/faults", func(w http.ResponseWriter, r *http.Request) {
		for _, name := range AllServices {
			if name != Admin {
				_ = s.faults.set(name, Fault{})
			}
		}
		writeJSON(w, http.StatusOK, s.faults.snapshot())
	})
	mux.HandleFunc("POST /v1/verify-site", func(w http.ResponseWriter, r *http.Request) {
		var req VerifyRequest
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		if req.SiteID == "" || req.Point.IsZero() {
			fail(w, badRequest("verify-site: site_id and point are required"))
			return
		}
		if req.AsSiteID == "" {
			req.AsSiteID = req.SiteID
		}
		if s.cfg.Verify == nil {
			writeError(w, http.StatusNotImplemented, errors.New("verify-site: no truth on this server"))
			return
		}
		diffs, err := s.cfg.Verify(r.Context(), req.SiteID, req.AsSiteID, req.Point)
		if err != nil {
			fail(w, fmt.Errorf("verify site %s as %s: %w", req.SiteID, req.AsSiteID, err))
			return
		}
		writeJSON(w, http.StatusOK, diffs)
	})
	mux.HandleFunc("GET /v1/production-checksums", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Checksums == nil {
			writeError(w, http.StatusNotImplemented, errors.New("production-checksums: no checksums on this server"))
			return
		}
		sums, err := s.cfg.Checksums(r.Context())
		if err != nil {
			fail(w, fmt.Errorf("production checksums: %w", err))
			return
		}
		writeJSON(w, http.StatusOK, sums)
	})
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	return mux
}
