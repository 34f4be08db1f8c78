package worker

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// readinessCheckTimeout bounds the Temporal health check of one /readyz.
const readinessCheckTimeout = 2 * time.Second

// readiness is what /readyz answers: 503 while the workers start, 200 once
// every worker polls and Temporal answers a health check, 503 again once
// the worker begins to stop. Each 503 says why in one line.
type readiness struct {
	mu sync.Mutex
	// reason is why the worker is not ready; empty once it is.
	reason string
	// check asks Temporal whether it answers (client.CheckHealth).
	check func(context.Context) error
}

func newReadiness() *readiness {
	return &readiness{reason: "workers starting"}
}

// ready marks every worker polling; check is asked at each /readyz.
func (r *readiness) ready(check func(context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reason, r.check = "", check
}

// notReady marks the worker not ready, for reason.
func (r *readiness) notReady(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reason = reason
}

// state is the reason the worker is not ready ("" when it is) and the
// check to make when it is.
func (r *readiness) state() (string, func(context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason, r.check
}

// ServeHTTP answers /readyz.
func (r *readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	reason, check := r.state()
	if reason == "" && check != nil {
		ctx, cancel := context.WithTimeout(req.Context(), readinessCheckTimeout)
		err := check(ctx)
		cancel()
		if err != nil {
			reason = "Temporal health check failed: " + err.Error()
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if reason != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, "not ready: %s\n", reason)
		return
	}
	_, _ = fmt.Fprintln(w, "ready")
}

// livez answers /livez: the process serves HTTP.
func livez(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintln(w, "ok")
}
