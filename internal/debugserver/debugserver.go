// Package debugserver serves Go's runtime profiles (net/http/pprof) on an
// address of the operator's choosing, for the worker and the sandbox: the
// evidence behind every speed figure (`go tool pprof
// http://ADDR/debug/pprof/profile?seconds=30`).
//
// It must never serve anything but the runtime's own profiles, and it is off
// unless an address is given: profiles reveal code paths and memory, so the
// address should be a loopback one.
package debugserver

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.uber.org/zap"
)

// Start listens on addr and serves /debug/pprof/ in the background. An empty
// addr serves nothing. It returns once the address is bound (so that a port
// already in use is reported at once) and a function that stops the server.
func Start(addr string, log *zap.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("profiling address %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("profiling server stopped", zap.String("address", addr), zap.Error(err))
		}
	}()
	log.Info("profiles served", zap.String("address", "http://"+ln.Addr().String()+"/debug/pprof/"))
	return func() { _ = srv.Close() }, nil
}
