package sandbox

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestGenerateSiteIsDeterministic(t *testing.T) {
	for i := 0; i < 50; i++ {
		a, b := GenerateSite(7, i, 4), GenerateSite(7, i, 4)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("site %d differs between two runs", i)
		}
		var ra, rb int
		a.Rows(func(string, string, []any) { ra++ }, func(Object) {})
		b.Rows(func(string, string, []any) { rb++ }, func(Object) {})
		if ra != rb {
			t.Fatalf("site %d: %d rows then %d", i, ra, rb)
		}
	}
	if GenerateSite(7, 3, 4).ID == GenerateSite(8, 3, 4).ID {
		t.Fatal("two seeds gave the same site ID")
	}
}

func TestFleetShape(t *testing.T) {
	const n = 3000
	sizes := map[string]int{}
	ids := map[string]bool{}
	internal, withApps, maxApps, maxUsers := 0, 0, 0, 0
	products := map[string]int{}
	for i := 0; i < n; i++ {
		s := GenerateSite(1, i, 4)
		sizes[s.Size]++
		for _, id := range append([]string{s.ID}, appIDs(s)...) {
			if !uuidRE.MatchString(id) {
				t.Fatalf("ID %q is not a v4 UUID", id)
			}
			if ids[id] {
				t.Fatalf("ID %s drawn twice", id)
			}
			ids[id] = true
		}
		if s.Owner == "internal" {
			internal++
		}
		if len(s.Apps) > 0 {
			withApps++
		}
		maxApps = max(maxApps, len(s.Apps))
		maxUsers = max(maxUsers, s.Users)
		if len(s.Products) == 0 {
			t.Fatalf("site %d has no product", i)
		}
		for _, p := range s.Products {
			products[p]++
			if sh := s.Shard[p]; sh < 1 || sh > 4 {
				t.Fatalf("site %d: product %s on shard %d", i, p, sh)
			}
		}
	}
	// Heavy tail: most sites tiny, a few huge ones with thousands of users.
	if sizes[SizeTiny] < n/2 || sizes[SizeHuge] == 0 || sizes[SizeHuge] > n/50 {
		t.Errorf("size mix %v is not heavy-tailed", sizes)
	}
	if maxUsers < 1200 {
		t.Errorf("largest site has %d users, want thousands", maxUsers)
	}
	if internal == 0 || internal > n/10 {
		t.Errorf("%d internal sites of %d", internal, n)
	}
	if maxApps != 5 || withApps < n/3 {
		t.Errorf("apps: max %d, %d sites with apps", maxApps, withApps)
	}
	for _, p := range schema.Products {
		if products[p] == 0 {
			t.Errorf("no site has %s", p)
		}
	}
}

func appIDs(s SiteSpec) []string {
	var out []string
	for _, a := range s.Apps {
		out = append(out, a.ID)
	}
	return out
}

func TestRowsFollowTheSchema(t *testing.T) {
	var huge SiteSpec
	for i := 0; ; i++ {
		if s := GenerateSite(1, i, 4); s.Size == SizeHuge {
			huge = s
			break
		}
	}
	rows := 0
	objects := 0
	tables := map[string]bool{}
	huge.Rows(func(db, table string, row []any) {
		rows++
		tables[table] = true
		cols, ok := columns[table]
		if !ok {
			t.Fatalf("table %s has no column list", table)
		}
		if len(row) != len(cols) {
			t.Fatalf("%s: %d values for %d columns", table, len(row), len(cols))
		}
		found := false
		for _, tb := range tableOrder(db) {
			found = found || tb == table
		}
		if !found {
			t.Fatalf("table %s is not in database %s's COPY order", table, db)
		}
		if cols[0] == "site_id" && row[0] != huge.ID {
			t.Fatalf("%s: site_id %v, want %s", table, row[0], huge.ID)
		}
	}, func(o Object) {
		objects++
		if want := "sites/" + huge.ID + "/"; len(o.Key) <= len(want) || o.Key[:len(want)] != want {
			t.Fatalf("object %s outside the site prefix", o.Key)
		}
	})
	if rows < 10000 {
		t.Errorf("a huge site has %d rows, want tens of thousands", rows)
	}
	if objects == 0 {
		t.Error("a huge site has no attachments")
	}
	// Every tenant table of the store layout has a column list.
	for _, st := range schema.Stores(4) {
		for _, tb := range st.Tables {
			if _, ok := columns[tb.Name]; !ok && tb.Name != "deletion_events" {
				t.Errorf("store %s table %s: the generator has no columns for it", st.Name, tb.Name)
			}
		}
	}
}

// BenchmarkGenerateFleet measures the generator alone (rows per second),
// the part of `seed` that is not PostgreSQL or S3.
func BenchmarkGenerateFleet(b *testing.B) {
	rows := 0
	for i := 0; i < b.N; i++ {
		s := GenerateSite(1, i%2000, 4)
		s.Rows(func(string, string, []any) { rows++ }, func(Object) {})
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
