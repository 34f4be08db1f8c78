package platform

import "testing"

func TestIsDrillURL(t *testing.T) {
	const orig = "https://acme-42.example-cloud.test"
	for _, c := range []struct {
		u    string
		want bool
	}{
		{"https://drill-batch-7-acme-42.example-cloud.test", true},
		{"https://drill-b-acme-42.example-cloud.test/", false}, // path differs
		{"https://drill--acme-42.example-cloud.test", false},   // no batch label
		{"https://acme-42.example-cloud.test", false},          // the site itself
		{"https://drill-b-other.example-cloud.test", false},    // another site
		{"http://drill-b-acme-42.example-cloud.test", false},   // scheme differs
		{"https://xdrill-b-acme-42.example-cloud.test", false},
	} {
		if got := IsDrillURL(c.u, orig); got != c.want {
			t.Errorf("IsDrillURL(%q) = %v, want %v", c.u, got, c.want)
		}
	}
	if !IsDrillURL("drill-b-not a url", "not a url") || IsDrillURL("drill-b-not a url", "other") {
		t.Error("an unparsable URL prefixed as a whole")
	}
}
