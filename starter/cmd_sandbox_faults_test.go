package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

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
	run := func(args ...string) (string, error) {
		c := newSandboxFaultsCmd()
		var out bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&out)
		c.SetArgs(append(args, "--platform", path))
		err := c.Execute()
		return out.String(), err
	}
	out, err := run("vendors", "--error-rate", "0.5", "--latency", "250ms")
	if err != nil || !strings.Contains(out, "vendors    0.50       250ms      false") {
		t.Fatalf("set: %v\n%s", err, out)
	}
	out, err = run("catalog", "--outage")
	if err != nil || !strings.Contains(out, "catalog    0.00       0s         true") {
		t.Fatalf("outage: %v\n%s", err, out)
	}
	if _, err = run("nosuch", "--outage"); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "no such service") {
		t.Fatalf("unknown service: %v (exit %d)", err, exitCode(err))
	}
	out, err = run("clear")
	if err != nil || strings.Contains(out, "true") || strings.Contains(out, "0.50") {
		t.Fatalf("clear: %v\n%s", err, out)
	}
}
