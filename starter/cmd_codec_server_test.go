package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lazarus-dr/lazarus/internal/codec"
)

// postPayloads sends payloads to the codec server at url and returns its
// answer.
func postPayloads(t *testing.T, url string, ps []*commonpb.Payload) []*commonpb.Payload {
	t.Helper()
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://localhost:8233")
	req.Header.Set("X-Namespace", "default")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s %s", url, resp.Status, b)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:8233" {
		t.Errorf("POST %s: Access-Control-Allow-Origin %q", url, got)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal(b, &out); err != nil {
		t.Fatalf("POST %s: %v in %s", url, err, b)
	}
	return out.Payloads
}

// /encode compresses a large payload, /decode gives it back as it was;
// a small one goes through both unchanged.
func TestCodecServerRoundTrip(t *testing.T) {
	srv := httptest.NewServer(codecHandler([]string{"http://localhost:8233"}))
	defer srv.Close()
	big, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"sites": strings.Repeat(`"0b7f5d1e-6c1a-4f0e",`, 300)})
	if err != nil {
		t.Fatal(err)
	}
	small, _ := converter.GetDefaultDataConverter().ToPayload("site-1")
	enc := postPayloads(t, srv.URL+"/encode", []*commonpb.Payload{big, small})
	if e := string(enc[0].GetMetadata()[converter.MetadataEncoding]); e != codec.Encoding || len(enc[0].GetData()) >= len(big.GetData()) {
		t.Fatalf("/encode: %s of %d bytes, want %s smaller than %d", e, len(enc[0].GetData()), codec.Encoding, len(big.GetData()))
	}
	// The Web UI prefixes the path with the namespace.
	dec := postPayloads(t, srv.URL+"/default/decode", enc)
	for i, want := range []*commonpb.Payload{big, small} {
		if !bytes.Equal(dec[i].GetData(), want.GetData()) || string(dec[i].GetMetadata()[converter.MetadataEncoding]) != "json/plain" {
			t.Errorf("/decode payload %d: %s", i, dec[i])
		}
	}
}

// The browser's preflight gets the methods and headers the Web UI sends,
// with credentials; an origin not allowed gets no CORS header.
func TestCodecServerCORSPreflight(t *testing.T) {
	srv := httptest.NewServer(codecHandler([]string{"http://localhost:8233"}))
	defer srv.Close()
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight("http://localhost:8233")
	h := resp.Header
	if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "http://localhost:8233" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-Namespace") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("preflight: %s %v", resp.Status, h)
	}
	resp = preflight("http://evil.example")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %s %v", resp.Status, resp.Header)
	}
}

// startCodecServerCmd runs `lazarus codec-server` on a free loopback
// port and waits until it listens. stop ends it as SIGINT or SIGTERM would
// and returns its exit status and output.
func startCodecServerCmd(t *testing.T) (addr string, stop func() (int, string)) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer // read once the command has returned
	code := make(chan int, 1)
	go func() { code <- runCodecServerCmd(ctx, &out, "--address", addr) }()
	stop = func() (int, string) {
		cancel()
		select {
		case c := <-code:
			return c, out.String()
		case <-time.After(10 * time.Second):
			t.Fatal("the codec server did not stop")
			return -1, ""
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr, stop
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
	}
}

// The command serves until its context ends (as on SIGINT or SIGTERM),
// then stops and exits 0.
func TestCodecServerCommandStops(t *testing.T) {
	addr, stop := startCodecServerCmd(t)
	small, _ := converter.GetDefaultDataConverter().ToPayload("site-1")
	postPayloads(t, "http://"+addr+"/decode", []*commonpb.Payload{small})
	if code, out := stop(); code != 0 || !strings.Contains(out, "codec server stopped") {
		t.Fatalf("exit %d: %s", code, out)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still listening after it stopped")
	}
}

// A bad --address or --cors-origin is one line and exit 2.
func TestCodecServerBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--address", "8081"},
		{"--cors-origin", "localhost:8233/ui"},
	} {
		var out bytes.Buffer
		code := runCodecServerCmd(context.Background(), &out, args...)
		if code != 2 || strings.Count(strings.TrimSpace(out.String()), "\n") != 0 {
			t.Errorf("%v: exit %d, output %q; want 2 and one line", args, code, out.String())
		}
	}
}

// runCodecServerCmd runs `lazarus codec-server args` as execute does and
// returns its exit status.
func runCodecServerCmd(ctx context.Context, out io.Writer, args ...string) int {
	c := newCodecServerCmd()
	c.SilenceUsage = true
	c.SetArgs(args)
	c.SetOut(out)
	c.SetErr(out)
	if err := c.ExecuteContext(ctx); err != nil {
		return exitCode(err)
	}
	return 0
}
