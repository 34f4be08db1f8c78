package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/converter"

	"github.com/lazarus-dr/lazarus/internal/codec"
)

// codecShutdownGrace is how long the codec server lets requests in flight
// finish after SIGINT or SIGTERM.
const codecShutdownGrace = 5 * time.Second

func newCodecServerCmd() *cobra.Command {
	var address string
	var origins []string
	c := &cobra.Command{
		Use:   "codec-server",
		Short: "Serve Lazarus's payload codec over HTTP, for the Web UI and `temporal --codec-endpoint`",
		Long: `Serves the payload codec of Lazarus (internal/codec: zlib compression of
payloads of 1 KiB or more) on the codec server protocol: POST /encode and
POST /decode, under any path prefix. The Temporal Web UI (Codec Server, at
the bottom of its left bar) and the temporal CLI (--codec-endpoint) then
show compressed inputs, results and memos as plain JSON. It holds no key:
it only compresses.

The Web UI calls it from the browser, so the UI's origin must be allowed
with --cors-origin (repeat it for more than one; "" allows none).`,
		Example: `  lazarus codec-server
  lazarus codec-server --address 0.0.0.0:8081 --cors-origin https://temporal.example.com
  temporal workflow show -w batch-1 --codec-endpoint http://127.0.0.1:8081`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			allowed, err := corsOrigins(origins)
			if err != nil {
				return withExitCode(2, err)
			}
			if _, _, err := net.SplitHostPort(address); err != nil {
				return withExitCode(2, fmt.Errorf("codec-server: --address %q is not host:port: %w", address, err))
			}
			ln, err := net.Listen("tcp", address)
			if err != nil {
				return fmt.Errorf("codec-server: listen on %s: %w", address, err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serveCodec(ctx, ln, codecHandler(allowed), allowed, cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&address, "address", "127.0.0.1:8081", "host:port to listen on")
	c.Flags().StringSliceVar(&origins, "cors-origin", []string{"http://localhost:8233"}, "Web UI origin allowed to call the codec server from the browser (scheme://host:port)")
	return c
}

// corsOrigins checks and normalizes the --cors-origin values: each an
// origin as browsers send it (scheme://host[:port], no path).
func corsOrigins(in []string) ([]string, error) {
	var out []string
	for _, o := range in {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return nil, fmt.Errorf("codec-server: --cors-origin %q is not an origin like http://localhost:8233", o)
		}
		out = append(out, o)
	}
	return out, nil
}

// codecHandler is the SDK's codec HTTP handler with Lazarus's codec,
// behind CORS for the allowed origins.
func codecHandler(allowed []string) http.Handler {
	return withCORS(allowed, converter.NewPayloadCodecHTTPHandler(codec.Codec()))
}

// withCORS lets the Web UI, at one of the allowed origins, call h from the
// browser with credentials: it answers the OPTIONS preflight itself and
// marks the responses to those origins. Requests without an allowed Origin
// (the temporal CLI sends none) get no CORS headers.
func withCORS(allowed []string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		ok := origin != "" && slices.Contains(allowed, origin)
		if ok {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method == http.MethodOptions {
			if !ok {
				http.Error(w, "origin not allowed (see --cors-origin)", http.StatusForbidden)
				return
			}
			// The Web UI sends its namespace and, when configured to,
			// the user's access token.
			w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveCodec serves h on ln until ctx ends, then lets the requests in
// flight finish (codecShutdownGrace).
func serveCodec(ctx context.Context, ln net.Listener, h http.Handler, allowed []string, out io.Writer) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	cors := strings.Join(allowed, ", ")
	if cors == "" {
		cors = "none"
	}
	fmt.Fprintf(out, "codec server on http://%s (CORS origins: %s); Ctrl-C stops it\n", ln.Addr(), cors)
	select {
	case err := <-done:
		return fmt.Errorf("codec-server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), codecShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("codec-server: stop: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("codec-server: %w", err)
	}
	fmt.Fprintln(out, "codec server stopped")
	return nil
}
