package sandbox

import (
	"testing"
)

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
