package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// TestRunbookCLI runs the runbook commands in-process as a user would,
// from the repo root.
func TestRunbookCLI(t *testing.T) {
	h := lazarus(t)
	run := func(t *testing.T, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		r := h.Run(t, context.Background(), args...)
		return r.Stdout, r.Stderr, r.Code
	}
	t.Run("validate", func(t *testing.T) { testRunbookValidate(t, run) })
	t.Run("plan", func(t *testing.T) { testRunbookPlan(t, run) })
	t.Run("graph", func(t *testing.T) { testRunbookGraph(t, run) })
}

type runFunc func(t *testing.T, args ...string) (stdout, stderr string, code int)

func testRunbookValidate(t *testing.T, runLazarus runFunc) {
	out, errOut, code := runLazarus(t, "runbook", "validate", "runbooks/restore1.yaml", "runbooks/restore2.yaml", "restore1")
	if code != 0 || out != "" {
		t.Fatalf("valid runbooks: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "runbooks/restore1.yaml: ok (restore1, ") {
		t.Errorf("stderr %q", errOut)
	}

	cases := []struct {
		file  string
		lines []string
	}{
		{"cycle.yaml", []string{"cycle.yaml:3:9: cycle in needs: a -> c -> b -> a", "cycle.yaml:12:9: cycle in needs: d -> d"}},
		{"unknown_action.yaml", []string{`unknown_action.yaml:7:13: step "undelete": unknown action "catalog.undelet"`, `unknown_action.yaml:9:13: step "warp": unknown action "teleport.site"`}},
		{"dangling_needs.yaml", []string{`dangling_needs.yaml:7:23: step "sync" needs "contacts"`, `dangling_needs.yaml:11:9: step "flags" needs "undelet"`}},
		{"several.yaml", []string{":7:13: ", ":9:13: ", ":10:9: ", ":12:13: ", ":13:14: ", ":18:9: ", ":21:13: "}},
	}
	for _, tc := range cases {
		path := "runbooks/testdata/invalid/" + tc.file
		out, _, code := runLazarus(t, "runbook", "validate", path)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", tc.file, code)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != len(tc.lines) {
			t.Errorf("%s: %d lines, want %d:\n%s", tc.file, len(lines), len(tc.lines), out)
			continue
		}
		for i, want := range tc.lines {
			if !strings.HasPrefix(lines[i], "runbooks/testdata/invalid/") || !strings.Contains(lines[i], want) {
				t.Errorf("%s line %d: %q, want ...%s...", tc.file, i, lines[i], want)
			}
		}
	}

	// Several files: every problem of every bad file, nothing for the good one.
	out, _, code = runLazarus(t, "runbook", "validate", "restore2", "runbooks/testdata/invalid/cycle.yaml", "runbooks/testdata/invalid/several.yaml", "no/such/file.yaml")
	if code != 1 || strings.Count(out, "\n") != 2+7+1 || !strings.Contains(out, "no/such/file.yaml") {
		t.Errorf("mixed files: exit %d\n%s", code, out)
	}
}

type planOut struct {
	Steps []struct {
		ID     string   `json:"id"`
		Action string   `json:"action"`
		Needs  []string `json:"needs"`
	} `json:"steps"`
	CriticalPath     []string       `json:"critical_path"`
	EstimatedSeconds float64        `json:"estimated_seconds"`
	Width            int            `json:"width"`
	StepsPerService  map[string]int `json:"steps_per_service"`
}

func testRunbookPlan(t *testing.T, runLazarus runFunc) {
	plans := map[string]planOut{}
	for _, f := range []string{"runbooks/restore1.yaml", "runbooks/restore2.yaml"} {
		out, errOut, code := runLazarus(t, "runbook", "plan", f, "--json")
		if code != 0 {
			t.Fatalf("plan %s: exit %d: %s", f, code, errOut)
		}
		var p planOut
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("plan %s --json: %v\n%s", f, err, out)
		}
		plans[f] = p
	}
	r1, r2 := plans["runbooks/restore1.yaml"], plans["runbooks/restore2.yaml"]
	t.Logf("restore1: %d steps, %.0f s, width %d; restore2: %d steps, %.0f s, width %d",
		len(r1.Steps), r1.EstimatedSeconds, r1.Width, len(r2.Steps), r2.EstimatedSeconds, r2.Width)
	if n := len(r1.Steps); n < 60 || n > 80 {
		t.Errorf("restore1: %d steps", n)
	}
	if n := len(r2.Steps); n < 25 || n > 35 || r2.Width < 5 {
		t.Errorf("restore2: %d steps, width %d", n, r2.Width)
	}
	if r1.EstimatedSeconds < 2*r2.EstimatedSeconds || len(r2.CriticalPath) == 0 {
		t.Errorf("critical paths: restore1 %.0f s, restore2 %.0f s", r1.EstimatedSeconds, r2.EstimatedSeconds)
	}
	total := 0
	for _, n := range r2.StepsPerService {
		total += n
	}
	if total != len(r2.Steps) {
		t.Errorf("steps per service add up to %d, want %d", total, len(r2.Steps))
	}

	out, _, code := runLazarus(t, "runbook", "plan", "restore1")
	for _, want := range []string{"runbook restore1: 65 steps", "critical path (*), estimated", "width: ", "steps per service: catalog 19,", "create-site*"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan text lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	_, errOut, code := runLazarus(t, "runbook", "plan", "runbooks/testdata/invalid/cycle.yaml")
	if code != 1 || !strings.Contains(errOut, "cycle.yaml:3:9: cycle in needs") {
		t.Errorf("plan of an invalid runbook: exit %d\n%s", code, errOut)
	}
}

func testRunbookGraph(t *testing.T, runLazarus runFunc) {
	out, _, code := runLazarus(t, "runbook", "graph", "restore2", "--format", "mermaid")
	if code != 0 || !strings.HasPrefix(out, "flowchart TD") || strings.Count(out, " --> ") < 30 {
		t.Errorf("mermaid (exit %d):\n%s", code, out)
	}
	out, _, code = runLazarus(t, "runbook", "graph", "runbooks/restore1.yaml", "--format", "dot")
	if code != 0 || !strings.HasPrefix(out, `digraph "restore1" {`) || !strings.Contains(out, `"create-site" -> "license"`) {
		t.Errorf("dot (exit %d):\n%s", code, out)
	}
	_, errOut, code := runLazarus(t, "runbook", "graph", "restore2", "--format", "png")
	if code != 2 || !strings.Contains(errOut, `--format "png"`) {
		t.Errorf("bad format: exit %d %s", code, errOut)
	}
	out, _, code = runLazarus(t, "runbook", "actions")
	if code != 0 || strings.Count(out, "\n") != len(runbooks.Actions())+1 || !strings.Contains(out, "db.clone") {
		t.Errorf("actions (exit %d):\n%s", code, out)
	}
	// The plug-in steps (issue 14): their required param, and "..." for
	// the params they pass through.
	for _, want := range []string{"\nwebhook ", "\nexternal "} {
		if !strings.Contains(out, want) {
			t.Errorf("actions lack %q:\n%s", strings.TrimSpace(want), out)
		}
	}
	for _, re := range []string{`(?m)^webhook\s+site\s+webhook\s+webhook \[\.\.\.\]`, `(?m)^external\s+site\s+external\s+task_queue \[activity\] \[\.\.\.\]`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("actions do not match %s:\n%s", re, out)
		}
	}
}
