// Command webhook-server is an example endpoint of Lazarus's webhook action
// (runbooks/LANGUAGE.md): a team's own system, reached over HTTP, with no
// Go code of Lazarus in it. It uses the standard library only.
//
// It answers POSTs of a webhook step on any path:
//
//   - 200 with {"message": ..., "outputs": {...}} the first time it sees an
//     Idempotency-Key, after recording the call;
//   - 409 for a key it has already done (Lazarus counts that as done);
//   - 400 for a call without a key or with a body that is not a step;
//   - with -fail-first, 503 on the first call of every key (Lazarus
//     retries it), to show the retries;
//   - with -refuse-sites, 422 for those sites (Lazarus parks the site).
//
// GET /calls lists every call it answered, in order, as JSON.
//
//	go run ./examples/webhook-server -addr 127.0.0.1:8089
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "address to listen on (port 0: any free port)")
	failFirst := flag.Bool("fail-first", false, "answer 503 to the first call of each idempotency key")
	refuse := flag.String("refuse-sites", "", "comma-separated site IDs to answer 422 for")
	flag.Parse()

	srv := newServer(*failFirst, splitList(*refuse))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("webhook-server: listen on %s: %v", *addr, err)
	}
	// The first line of stdout says where it listens (tests read it).
	fmt.Printf("listening on http://%s\n", ln.Addr())
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatalf("webhook-server: %v", err)
	}
}

func splitList(s string) map[string]bool {
	out := map[string]bool{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out[v] = true
		}
	}
	return out
}
