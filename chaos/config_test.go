package chaos

import (
	"slices"
	"strings"
	"testing"

	"github.com/lazarus-dr/lazarus/platform"
)

func TestParseScenarios(t *testing.T) {
	for in, want := range map[string][]int{
		"": {1, 2, 3, 4, 5, 6, 7}, "all": {1, 2, 3, 4, 5, 6, 7}, "1,4,5": {1, 4, 5}, "2-4": {2, 3, 4}, "5 1 5": {5, 1}, "1-2,6": {1, 2, 6},
	} {
		got, err := ParseScenarios(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseScenarios(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "8", "x", "3-1", "1-9"} {
		if _, err := ParseScenarios(in); err == nil || !strings.Contains(err.Error(), "is not a scenario") {
			t.Errorf("ParseScenarios(%q) = %v, want an error", in, err)
		}
	}
}

func TestConfigDefaultsAndChecks(t *testing.T) {
	c, err := Config{StateDir: t.TempDir(), BinDir: t.TempDir(), TemporalBin: "temporal"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Sites != 200 || c.Fleet != 300 || c.Kills != 5 || c.MaxRecovery.Minutes() != 2 || c.Outage.Minutes() != 2 || len(c.Scenarios) != 7 {
		t.Fatalf("defaults %+v", c)
	}
	for _, bad := range []Config{
		{Sites: 20, Fleet: 25},
		{OutageService: "identity"},
		{Scenarios: []int{9}},
	} {
		bad.StateDir, bad.BinDir, bad.TemporalBin = t.TempDir(), t.TempDir(), "temporal"
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}

func TestExtraRowsCountsRowsBeyondTheTruth(t *testing.T) {
	diffs := []platform.StoreDiff{
		{Store: "catalog", Match: true},
		{Store: "products/jira", Diff: "jira_issues: 12 rows now, 10 in truth; jira_comments: 40 rows, content differs"},
		{Store: "identity", Diff: "users: 3 rows now, 5 in truth; groups: 7 rows now, 6 in truth"},
	}
	if n := extraRows(diffs); n != 3 {
		t.Fatalf("extraRows = %d, want 3 (2 issues, 1 group; fewer users is damage, not duplication)", n)
	}
}
