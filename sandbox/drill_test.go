package sandbox

import (
	"testing"
)

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
		if got := isDrillURL(c.u, orig); got != c.want {
			t.Errorf("isDrillURL(%q) = %v, want %v", c.u, got, c.want)
		}
	}
	if !isDrillURL("drill-b-not a url", "not a url") || isDrillURL("drill-b-not a url", "other") {
		t.Error("an unparsable URL prefixed as a whole")
	}
}

// A drill copy leaves app_installations out on both sides; another table
// that differs still shows.
func TestCompareSiteSkipsTablesOnBothSides(t *testing.T) {
	var app, row fingerprint
	app.addHash(md5sum("app"), 1)
	row.addHash(md5sum("row"), 1)
	truth := []truthRecord{{store: "catalog", tables: storeFP{"sites": row, "app_installations": app}}}
	now := map[string]storeFP{"catalog": {"sites": row}}
	skip := map[string]bool{"app_installations": true}
	if d := compareSite(truth, now, nil, nil); d[0].Match {
		t.Fatal("without skipping, the missing app installations must differ")
	}
	if d := compareSite(truth, now, nil, skip); !d[0].Match {
		t.Fatalf("skipping app_installations: %+v", d)
	}
	now = map[string]storeFP{"catalog": {"sites": app, "app_installations": app}}
	if d := compareSite(truth, now, nil, skip); d[0].Match {
		t.Fatal("a differing sites table must still differ")
	}
}
