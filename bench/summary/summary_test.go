package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCombineDerivesTheRatios(t *testing.T) {
	dir := t.TempDir()
	demo, err := readDemoSummary(write(t, dir, "demo.txt", "SITES=100\nRESTORE_SECONDS=50\nRESTORE_SITES_PER_SECOND=\nETA_ERROR_AT_10PCT=0.25\nRECOVERY=\"longest 1s (a=b)\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	acts, noop := 2000, 100.0
	b, err := combine(inputs{demo: demo, waits: &waitsFile{Activities: &acts}, overhead: &overheadFile{Sites: 100, NoopActivitiesPerSecond: &noop}})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		got  *float64
		want float64
	}{
		"restore_sites_per_second":      {b.RestoreSitesPerSecond, 2},
		"restore_activities_per_second": {b.RestoreActivitiesPerSecond, 40},
		"restore_to_noop_ratio":         {b.RestoreToNoopRatio, 0.4},
		"eta_error_at_10pct":            {b.EtaErrorAt10Pct, 0.25},
	} {
		if c.got == nil || *c.got != c.want {
			t.Errorf("%s = %v, want %v", name, c.got, c.want)
		}
	}
	if demo.vals["RECOVERY"] != "longest 1s (a=b)" {
		t.Errorf("RECOVERY = %q, want it unquoted", demo.vals["RECOVERY"])
	}
}

func TestCombineWithoutTheDemo(t *testing.T) {
	noop := 100.0
	b, err := combine(inputs{overhead: &overheadFile{Sites: 10000, NoopActivitiesPerSecond: &noop}})
	if err != nil {
		t.Fatal(err)
	}
	if b.RestoreSites != nil || b.RestoreSeconds != nil || b.RestoreToNoopRatio != nil || b.Actions != nil {
		t.Errorf("restore figures set without a demo: %+v", b)
	}
}

func TestReadInputsRejectsBadOnes(t *testing.T) {
	dir := t.TempDir()
	if _, err := readDemoSummary(write(t, dir, "d.txt", "SITES 100\n")); err == nil || !strings.Contains(err.Error(), "d.txt line 1") {
		t.Errorf("a line without = : err %v, want one naming the file and line", err)
	}
	d, err := readDemoSummary(write(t, dir, "e.txt", "RESTORE_SECONDS=soon\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := combine(inputs{demo: d}); err == nil || !strings.Contains(err.Error(), "RESTORE_SECONDS=soon") {
		t.Errorf("a bad number: err %v, want one naming it", err)
	}
	var o overheadFile
	if _, err := readJSON(write(t, dir, "o.json", "{"), &o); err == nil || !strings.Contains(err.Error(), "o.json") {
		t.Errorf("bad JSON: err %v, want one naming the file", err)
	}
	if ok, err := readJSON(filepath.Join(dir, "absent.json"), &o); ok || err != nil {
		t.Errorf("an absent file: found %v, err %v; want skipped", ok, err)
	}
}

func TestActionRowsSlowestFirst(t *testing.T) {
	rows := actionRows(map[string]Action{"a": {P95: 1}, "b": {P95: 9}, "c": {P95: 1}, "d": {P95: 5}})
	var got []string
	for _, r := range rows {
		got = append(got, r.Action)
	}
	if strings.Join(got, ",") != "b,d,a,c" {
		t.Errorf("order %v, want b,d,a,c (total p95 descending, then by name)", got)
	}
}
