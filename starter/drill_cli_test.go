package main

import (
	"context"
	"strings"
	"testing"
)

// TestDrillBadInput: each bad input is one line naming the flag, exit 2,
// and nothing is started (Temporal is nowhere: a command that went on
// would fail to dial it, with another message and exit 1).
func TestDrillBadInput(t *testing.T) {
	dir := t.TempDir()
	dup := writeFile(t, dir, "dup.txt", []byte("site-a\nsite-b, site-a\n"))
	empty := writeFile(t, dir, "empty.txt", []byte("# none\n"))
	h := lazarus(t, "TEMPORAL_ADDRESS="+closedAddr(t))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"drill", "run"}, "no sites: pass --sample N (live sites to draw) or --sites-file FILE"},
		{[]string{"drill", "run", "--wait"}, "no sites: pass --sample N"},
		{[]string{"drill", "run", "--sample", "0"}, "--sample 0: must be at least 1"},
		{[]string{"drill", "run", "--sample", "-3"}, "--sample -3: must be at least 1"},
		{[]string{"drill", "run", "--sample", "5", "--sites-file", dup}, "--sample and --sites-file: pass one"},
		{[]string{"drill", "run", "--sites-file", dup}, "--sites-file " + dup + ": site site-a is listed twice"},
		{[]string{"drill", "run", "--sites-file", empty}, "--sites-file " + empty + ": no IDs"},
		{[]string{"drill", "run", "--sample", "5", "--drill-id", "Drill_7"}, `--drill-id "Drill_7": use lower-case letters, digits and '-'`},
		{[]string{"drill", "run", "--sample", "5", "--drill-id", "-x"}, `--drill-id "-x": use lower-case`},
		{[]string{"drill", "run", "--sample", "5", "--drill-id", strings.Repeat("a", 41)}, "at most 40 characters"},
		{[]string{"drill", "run", "--sample", "5", "--point-age", "0s"}, "--point-age 0s: must be positive"},
		{[]string{"drill", "run", "--sample", "5", "--runbook", "restore2"}, "--runbook restore2 restores under the sites' own IDs (no catalog.create_site step)"},
		{[]string{"drill", "schedule", "--schedule-id", "weekly", "--sample", "5", "--every", "1h", "--cron", "0 3 * * MON"}, "--every and --cron: pass one, not both"},
		{[]string{"drill", "schedule", "--schedule-id", "weekly", "--sample", "5"}, "no schedule: pass --every DURATION (e.g. 168h) or --cron EXPR"},
		{[]string{"drill", "schedule", "--schedule-id", "weekly", "--sample", "5", "--every", "30s"}, "--every 30s: at least 1m0s"},
		{[]string{"drill", "schedule", "--schedule-id", "weekly", "--sample", "5", "--cron", "0 3 *"}, `--cron "0 3 *": has 3 fields`},
		{[]string{"drill", "schedule", "--schedule-id", "weekly", "--every", "1h"}, "no --sample: pass --sample N"},
		{[]string{"drill", "schedule", "--schedule-id", "Weekly", "--sample", "5", "--every", "1h"}, `--schedule-id "Weekly": use lower-case letters`},
		{[]string{"drill", "schedule", "--sample", "5", "--every", "1h"}, "no --schedule-id"},
		{[]string{"drill", "schedule", "--schedule-id", "w", "--sample", "5", "--every", "1h", "--catchup-window", "1s"}, "--catchup-window 1s: at least 10s"},
		{[]string{"drill", "report", "weekly-20261130-030000", "--format", "pdf"}, `--format "pdf": want md, html or json`},
		{[]string{"drill", "report", "Not/A/Drill"}, `DRILL_ID "Not/A/Drill": not a drill ID`},
		{[]string{"drill", "report"}, "want one DRILL_ID, got 0 arguments"},
		{[]string{"drill", "pause", "a", "b"}, "want one SCHEDULE_ID, got 2 arguments"},
		{[]string{"drill", "list", "-o", "yaml"}, `--output "yaml": want text or json`},
	} {
		r := h.Run(t, context.Background(), c.args...)
		if r.Code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, r.Code)
		}
		if r.Stdout != "" || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%v: want one line with %q, got stdout %q stderr %q", c.args, c.want, r.Stdout, r.Stderr)
		}
	}
}

// TestDrillGoodInputReachesTemporal: sound input passes the checks and
// only then needs Temporal, which is down here: one line, exit 1.
func TestDrillGoodInputReachesTemporal(t *testing.T) {
	h := lazarus(t, "TEMPORAL_ADDRESS="+closedAddr(t))
	for _, args := range [][]string{
		{"drill", "run", "--sample", "3", "--drill-id", "dr-7", "--seed", "7"},
		{"drill", "schedule", "--schedule-id", "weekly", "--sample", "5", "--cron", "0 3 * * MON"},
	} {
		r := h.Run(t, context.Background(), args...)
		if r.Code != 1 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "refused the connection") || !strings.Contains(r.Stderr, "nothing was") {
			t.Errorf("%v: exit %d, stderr %q", args, r.Code, r.Stderr)
		}
	}
}

func TestDrillCommands(t *testing.T) {
	var drillCmd []string
	for _, c := range newRootCmd().Commands() {
		if c.Name() == "drill" {
			for _, sc := range c.Commands() {
				drillCmd = append(drillCmd, sc.Name())
			}
			for _, f := range []string{"address", "namespace", "ui"} {
				if c.PersistentFlags().Lookup(f) == nil {
					t.Errorf("drill has no --%s", f)
				}
			}
		}
	}
	if got := strings.Join(drillCmd, " "); got != "delete list pause report run schedule trigger unpause" {
		t.Errorf("drill commands: %s", got)
	}
}

func TestValidDrillID(t *testing.T) {
	for s, want := range map[string]bool{
		"20261129-174501-a1b2c3": true, "weekly-20261130-030000": true, "a": true, "dr-7": true,
		"": false, "-a": false, "a-": false, "A": false, "a_b": false, "a.b": false, "é": false,
		strings.Repeat("a", 40): true, strings.Repeat("a", 41): false,
	} {
		if got := validDrillID(s); got != want {
			t.Errorf("validDrillID(%q) = %v", s, got)
		}
	}
	// A generated drill ID is a valid one, and so is a scheduled drill's
	// from the longest schedule ID.
	if id := newBatchID(); !validDrillID(id) {
		t.Errorf("generated %q is not valid", id)
	}
	if long := strings.Repeat("s", maxScheduleIDLen) + "-20261130-030000"; !validDrillID(long) {
		t.Errorf("a scheduled drill's ID %q is not valid", long)
	}
}
