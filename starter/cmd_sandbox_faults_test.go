package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lazarus-dr/lazarus/internal/clitest"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/sandbox/services"
)

func TestSandboxFaultsCommand(t *testing.T) {
	// The admin API needs no database: pools connect lazily.
	dsn := "postgres://nobody@127.0.0.1:1/none?sslmode=disable"
	srv, err := services.Start(context.Background(), services.Config{CatalogDSN: dsn, IdentityDSN: dsn, FlagsDSN: dsn,
		AuditDSN: dsn, VendorsDSN: dsn, SearchDSN: dsn, Shards: map[string]string{"shard_1": dsn}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	raw, err := yaml.Marshal(platform.Description{Name: "t", Services: srv.URLs()})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "platform.yaml")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	h := lazarus(t)
	run := func(args ...string) clitest.Result {
		return h.Run(t, context.Background(), append([]string{"sandbox", "faults"}, append(args, "--platform", path)...)...)
	}
	r := run("vendors", "--error-rate", "0.5", "--latency", "250ms")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "SERVICE    ERROR-RATE  LATENCY  OUTAGE  REQUESTS  ERRORS  OUTAGES\n") ||
		!strings.Contains(r.Stdout, "\nvendors    0.50        250ms    false          0       0        0\n") {
		t.Fatalf("set: exit %d\n%s", r.Code, r.Output)
	}
	r = run("catalog", "--outage")
	if r.Code != 0 || !strings.Contains(r.Stdout, "\ncatalog    0.00        0s       true ") {
		t.Fatalf("outage: exit %d\n%s", r.Code, r.Output)
	}
	if r = run("nosuch", "--outage"); r.Code != 2 || !strings.Contains(r.Stderr, "no such service") {
		t.Fatalf("unknown service: exit %d\n%s", r.Code, r.Output)
	}
	r = run("-o", "json")
	var rows []faultRow
	if err := json.Unmarshal([]byte(r.Stdout), &rows); err != nil || len(rows) < 7 || r.Code != 0 {
		t.Fatalf("-o json: %v, exit %d\n%s", err, r.Code, r.Output)
	}
	for _, f := range rows {
		if (f.Service == "vendors") != (f.ErrorRate == 0.5 && f.LatencyMS == 250) || (f.Service == "catalog") != f.Outage {
			t.Errorf("-o json: %+v", f)
		}
	}
	r = run("clear")
	if r.Code != 0 || strings.Contains(r.Stdout, "true") || strings.Contains(r.Stdout, "0.50") {
		t.Fatalf("clear: exit %d\n%s", r.Code, r.Output)
	}
}
