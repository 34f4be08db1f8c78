package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// freeClosedPort is a loopback port nothing listens on.
func freeClosedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func writePlatformFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "platform.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// unreachable is a description whose cluster and service nothing answers.
func unreachable(t *testing.T, misspelt string) string {
	port := strconv.Itoa(freeClosedPort(t))
	dir := t.TempDir()
	return `name: nowhere
retention: 720h
clusters:
  - name: products
    host: 127.0.0.1
    port: ` + port + `
    user: postgres
    pg_bin: /usr/lib/postgresql/15/bin
    backup_dir: ` + filepath.Join(dir, "backups") + `
    ` + misspelt + `: ` + filepath.Join(dir, "wal") + `
    scratch_dir: ` + filepath.Join(dir, "scratch") + `
stores:
  - name: shard_1
    cluster: products
    database: shard_1
    tenant_column: site_id
    tables:
      - name: jira_issues
services:
  catalog: http://127.0.0.1:` + port + `
`
}

// A misspelt field exits 1 naming the file, line and column, and nothing
// is reached.
func TestPlatformCheckMisspeltFieldExits1(t *testing.T) {
	path := writePlatformFile(t, unreachable(t, "wal_archve"))
	r := lazarus(t).Run(t, context.Background(), "platform", "check", "--platform", path)
	want := path + `:10:5: unknown field "wal_archve" in cluster "products" (did you mean "wal_archive"?)` + "\n"
	if r.Code != 1 || !strings.HasPrefix(r.Stderr, want) || r.Stdout != "" ||
		!strings.Contains(r.Stderr, "1 problem; nothing was checked") {
		t.Errorf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

func TestPlatformCheckMissingFileExits2(t *testing.T) {
	r := lazarus(t).Run(t, context.Background(), "platform", "check", "--platform", filepath.Join(t.TempDir(), "none.yaml"))
	if r.Code != 2 || !strings.Contains(r.Stderr, "none.yaml") {
		t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// A platform nothing of which answers exits 1 with every problem, one line
// each naming the cluster or service; -o json has them too.
func TestPlatformCheckListsEveryProblem(t *testing.T) {
	path := writePlatformFile(t, unreachable(t, "wal_archive"))
	r := lazarus(t).Run(t, context.Background(), "platform", "check", "--platform", path)
	if r.Code != 1 {
		t.Fatalf("exit %d", r.Code)
	}
	for _, want := range []string{
		"not ready: 3 problems\n",
		"  - cluster products (127.0.0.1:",
		"): cannot connect as postgres (",
		"): no restorable window: ",
		"  - service catalog at http://127.0.0.1:",
		"CLUSTER   BACKUPS  OLDEST RESTORABLE  NEWEST RESTORABLE  ARCHIVING\nproducts  local    -                  -                  unknown (no connection)\n",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if !strings.Contains(r.Stderr, "platform nowhere is not ready: 3 problems") {
		t.Errorf("stderr %q", r.Stderr)
	}
	j := lazarus(t).Run(t, context.Background(), "platform", "check", "--platform", path, "-o", "json")
	var doc struct {
		Ready    bool     `json:"ready"`
		Problems []string `json:"problems"`
		Clusters []struct {
			Name      string `json:"name"`
			Connected bool   `json:"connected"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(j.Stdout), &doc); err != nil {
		t.Fatalf("-o json: %v\n%s", err, j.Stdout)
	}
	if j.Code != 1 || doc.Ready || len(doc.Problems) != 3 || len(doc.Clusters) != 1 || doc.Clusters[0].Connected {
		t.Errorf("-o json: exit %d, %+v", j.Code, doc)
	}
}
