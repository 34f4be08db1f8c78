package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// serveMetrics builds the metrics pipeline and serves it on addr with
// ready; an empty addr serves nothing (nil metrics). stop stops the server,
// then the pipeline.
func serveMetrics(addr string, ready *readiness, log *zap.Logger) (m *metrics, stop func(), err error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	if m, err = newMetrics(log); err != nil {
		return nil, nil, err
	}
	stopServer, err := startMetricsServer(addr, m, ready, log)
	if err != nil {
		_ = m.shutdown(context.Background())
		return nil, nil, err
	}
	return m, func() {
		stopServer()
		_ = m.shutdown(context.Background())
	}, nil
}

// startMetricsServer serves /metrics (the Prometheus text format), /readyz
// and /livez on addr in the background. It returns once the address is
// bound, so that a port in use is one error naming the address, and a
// function that stops the server.
func startMetricsServer(addr string, m *metrics, ready *readiness, log *zap.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics address %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.httpHandler())
	mux.Handle("/readyz", ready)
	mux.HandleFunc("/livez", livez)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server stopped", zap.String("address", addr), zap.Error(err))
		}
	}()
	log.Info("metrics served", zap.String("metrics", "http://"+ln.Addr().String()+"/metrics"),
		zap.String("readyz", "http://"+ln.Addr().String()+"/readyz"))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
