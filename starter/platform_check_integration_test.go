//go:build integration

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/sandbox"
)

// On a running sandbox with a base backup, `platform check` exits 0 and
// prints each cluster's restorable window; a copy of its platform.yaml with
// a misspelt field exits 1 naming the line and column.
func TestPlatformCheckOnTheSandbox(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := testpg.Dir(t, "lazarus-platform-check-")
	p, err := sandbox.Up(ctx, sandbox.Options{StateDir: dir, Shards: 1, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("sandbox up: %v", err)
	}
	t.Cleanup(func() { _ = p.Down(context.Background()) })
	if _, err := p.Backup(ctx); err != nil {
		t.Fatalf("backup: %v", err)
	}
	path := p.DescriptionPath()
	r := lazarus(t).Run(t, ctx, "platform", "check", "--platform", path)
	if r.Code != 0 {
		t.Fatalf("exit %d:\n%s", r.Code, r.Output)
	}
	ts := `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`
	for _, cluster := range []string{"platform", "products"} {
		row := regexp.MustCompile(`(?m)^` + cluster + `\s+local\s+` + ts + `\s+` + ts + `\s+current \(last [0-9A-F]{24} at `)
		if !row.MatchString(r.Stdout) {
			t.Errorf("no window and current archiving for cluster %s:\n%s", cluster, r.Stdout)
		}
	}
	for _, want := range []string{"media   Enabled", "catalog     http://", "RPO ", "retention ", "ready: "} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Stdout)
		}
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	at := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == "" || !strings.Contains(l, "wal_archive:") {
			continue
		}
		lines[i] = strings.Replace(l, "wal_archive:", "wal_archve:", 1)
		at = i
		break
	}
	if at < 0 {
		t.Fatalf("no wal_archive in %s", path)
	}
	col := strings.Index(lines[at], "wal_archve") + 1
	bad := filepath.Join(t.TempDir(), "platform.yaml")
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	r = lazarus(t).Run(t, ctx, "platform", "check", "--platform", bad)
	want := bad + ":" + strconv.Itoa(at+1) + ":" + strconv.Itoa(col) + `: unknown field "wal_archve" in cluster "platform" (did you mean "wal_archive"?)`
	if r.Code != 1 || !strings.HasPrefix(r.Stderr, want+"\n") {
		t.Errorf("misspelt: exit %d, stderr %q; want exit 1 and %q", r.Code, r.Stderr, want)
	}
}
