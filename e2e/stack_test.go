//go:build integration

package e2e

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lazarus-dr/lazarus/internal/clitest"
	"github.com/lazarus-dr/lazarus/internal/testpg"
)

// buildCLI builds the lazarus CLI (./starter) into dir. The start of a
// batch (preflight, plan, workflow options, the watcher and its
// --auto-approve) lives in package main, so the test drives the binary as
// a coordinator would.
func buildCLI(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "lazarus")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./starter")
	cmd.Dir = ".." // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New("go build ./starter: " + err.Error() + "\n" + string(out))
	}
	return bin, nil
}

// cli runs the lazarus binary against the test's dev server and sandbox.
type cli struct {
	t        *testing.T
	bin      string
	address  string
	platform string
}

// run returns the combined output and the exit code.
func (c cli) run(ctx context.Context, args ...string) (string, int) {
	c.t.Helper()
	return clitest.Run(c.t, ctx, c.bin, []string{"TEMPORAL_ADDRESS=" + c.address, "TEMPORAL_NAMESPACE=default",
		"LAZARUS_PLATFORM=" + c.platform, "LAZARUS_UI_ADDRESS=http://ui.e2e.test:8233"}, args...)
}

// writeLines writes one ID a line.
func writeLines(t *testing.T, path string, ids []string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// postmasters finds every PostgreSQL server under root (the sandbox's two
// clusters and any point-in-time clone under its scratch folders) by its
// postmaster.pid.
func postmasters(root string) map[string]int {
	out := map[string]int{}
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "postmaster.pid" {
			return nil
		}
		if pid, err := testpg.PostmasterPID(filepath.Dir(path)); err == nil && pid > 0 {
			out["postgres "+filepath.Dir(path)] = pid
		}
		return nil
	})
	return out
}

// descendants lists the live processes below pid (children, their
// children...), by /proc, as pid -> command name.
func descendants(pid int) map[int]string {
	parent := map[int]int{}
	name := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, cut at the last ')'.
		s := string(raw)
		i := strings.LastIndexByte(s, ')')
		j := strings.IndexByte(s, '(')
		if i < 0 || j < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		parent[p] = pp
		name[p] = s[j+1 : i]
	}
	out := map[int]string{}
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out[p] = name[p]
				break
			}
		}
	}
	return out
}

// alive says whether a process exists and is not a zombie.
func alive(pid int) bool {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	return len(f) > 0 && f[0] != "Z"
}

// waitGone waits up to d for every pid to end; it returns those still alive.
func waitGone(pids map[string]int, d time.Duration) map[string]int {
	deadline := time.Now().Add(d)
	for {
		left := map[string]int{}
		for what, pid := range pids {
			if alive(pid) {
				left[what] = pid
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// siteURLs maps the sites found in the catalog to their URLs.
func siteURLs(ctx context.Context, t *testing.T, cat *pgxpool.Pool, sites []string) map[string]string {
	t.Helper()
	rows, err := cat.Query(ctx, `SELECT site_id, url FROM sites WHERE site_id = ANY($1)`, sites)
	if err != nil {
		t.Fatalf("site URLs: %v", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, url string
		if err := rows.Scan(&id, &url); err != nil {
			t.Fatalf("site URLs: %v", err)
		}
		out[id] = url
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("site URLs: %v", err)
	}
	return out
}
