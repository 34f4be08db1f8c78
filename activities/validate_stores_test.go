package activities

import (
	"reflect"
	"testing"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// The tables validate.automated compares outside the product shards are
// exactly those the restore copies: the catalog's site part only under the
// same ID, its apps part except in a drill; never derived or audit stores.
func TestValidateComparesWhatTheRestoreCopies(t *testing.T) {
	a := New(Deps{Description: testDescription()})
	names := func(in contract.StepInput, to, store string) []string {
		s, _ := a.d.Description.Store(store)
		var out []string
		for _, tb := range a.restoredTables(in, to, s) {
			out = append(out, tb.Name)
		}
		return out
	}
	same := contract.StepInput{SiteID: "s1"}
	cases := []struct {
		name      string
		in        contract.StepInput
		to, store string
		want      []string
	}{
		{"Restore 2 catalog", same, "s1", "catalog", []string{"sites", "site_config", "licenses", "product_activations", "placements", "app_installations"}},
		{"Restore 1 catalog", same, "n1", "catalog", []string{"site_config", "app_installations"}},
		{"drill catalog", contract.StepInput{SiteID: "s1", Drill: true}, "n1", "catalog", []string{"site_config"}},
		{"identity", same, "n1", "identity", []string{"users", "groups", "memberships", "permissions", "site_admins"}},
		{"flags", same, "s1", "flags", []string{"site_flags"}},
		{"derived", same, "s1", "search", nil},
		{"audit", same, "s1", "audit", nil},
		{"product shard (by placement, not here)", same, "s1", "shard_1", nil},
	}
	for _, c := range cases {
		if got := names(c.in, c.to, c.store); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestValidateProblemLines(t *testing.T) {
	cases := []struct {
		r    pitr.TableComparison
		want string
	}{
		{pitr.TableComparison{Table: "jira_issues", Rows: 412, Differ: 1, Keys: []string{"(17)"}},
			"store shard_2 table jira_issues: 1 row differs from the restore point (of 412; key (17))"},
		{pitr.TableComparison{Table: "users", Rows: 9, Missing: 2, Differ: 3, Extra: 4, Keys: []string{"(1)", "(2)", "(3)"}},
			"store shard_2 table users: 2 rows missing, 3 rows differ from the restore point (of 9; key (1), (2), (3), ...)"},
	}
	for _, c := range cases {
		if got := tableProblem("shard_2", c.r); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
	m := mediaTally{prefix: "sites/n1/", keys: 5, missing: []string{"jira/a"}, differ: []string{"jira/b"}}
	if got, want := m.problem(), "media sites/n1/: 1 object missing, 1 object differs from the restore point (of 5; key jira/a, jira/b)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := (mediaTally{prefix: "sites/n1/", keys: 5, extra: 2}).problem(); got != "" {
		t.Errorf("objects written since are no problem: %q", got)
	}
}
