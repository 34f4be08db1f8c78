package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/internal/clitest"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// lazarus is the CLI in-process, run from the repository root (where
// runbooks/ is), with env set for every run.
func lazarus(t *testing.T, env ...string) clitest.Harness {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return clitest.Harness{Main: execute, Dir: root, Env: env}
}

func TestCommandTree(t *testing.T) {
	names := map[string]bool{}
	var walk func(prefix string, c *cobra.Command)
	walk = func(prefix string, c *cobra.Command) {
		for _, sc := range c.Commands() {
			name := strings.TrimSpace(prefix + " " + sc.Name())
			if names[name] {
				t.Errorf("%s twice", name)
			}
			names[name] = true
			walk(name, sc)
		}
	}
	walk("", newRootCmd())
	for _, want := range []string{"runbook plan", "restore start", "batch list", "batch add-sites", "site status", "site approve",
		"report", "sandbox up", "sandbox verify", "sandbox faults", "sandbox traffic", "worker"} {
		if !names[want] {
			t.Errorf("no command %q", want)
		}
	}
	// Every tree is new: two builds share no command.
	if a, b := newRootCmd(), newRootCmd(); a.Commands()[0] == b.Commands()[0] {
		t.Error("newRootCmd shares commands between trees")
	}
}

func TestOutputFlag(t *testing.T) {
	h := lazarus(t)
	ctx := context.Background()
	r := h.Run(t, ctx, "runbook", "actions", "-o", "yaml")
	if r.Code != 2 || r.Stdout != "" || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, `--output "yaml": want text or json`) {
		t.Errorf("-o yaml: exit %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	// --json and -o json print the same document.
	a := h.Run(t, ctx, "runbook", "plan", "restore2", "--json")
	b := h.Run(t, ctx, "runbook", "plan", "restore2", "-o", "json")
	if a.Code != 0 || a.Stdout != b.Stdout || !json.Valid([]byte(a.Stdout)) {
		t.Errorf("--json and -o json differ (exit %d, %d)", a.Code, b.Code)
	}
	r = h.Run(t, ctx, "runbook", "actions", "--output", "json")
	var actions []struct {
		Name, Service, Scope string
	}
	if err := json.Unmarshal([]byte(r.Stdout), &actions); err != nil || len(actions) != len(runbooks.Actions()) || r.Code != 0 {
		t.Errorf("actions -o json: %v, %d actions, exit %d", err, len(actions), r.Code)
	}
}
