package schema

import (
	"regexp"
	"strings"
	"testing"

	"github.com/lazarus-dr/lazarus/platform"
)

var createRE = regexp.MustCompile(`(?s)CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);`)

// tablesOf parses the CREATE TABLE statements of a schema file.
func tablesOf(t *testing.T, kind string) map[string]string {
	t.Helper()
	sql, err := SQL(kind)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range createRE.FindAllStringSubmatch(sql, -1) {
		out[m[1]] = m[2]
	}
	if len(out) == 0 {
		t.Fatalf("%s: no tables parsed", kind)
	}
	return out
}

func TestEveryStoreTableIsTenantScoped(t *testing.T) {
	defs := map[string]string{}
	for _, k := range []string{DBCatalog, "products", DBSearch} {
		for n, d := range tablesOf(t, k) {
			defs[n] = d
		}
	}
	for _, s := range Stores(DefaultShards) {
		if s.Kind == "audit" {
			continue // keyed by ID, never restored
		}
		for _, tb := range s.Tables {
			d, ok := defs[tb.Name]
			if !ok {
				t.Errorf("store %s: table %s is not in the schema", s.Name, tb.Name)
				continue
			}
			if !strings.Contains(d, "site_id") {
				t.Errorf("%s has no site_id", tb.Name)
			}
			if !strings.Contains(d, "PRIMARY KEY (site_id") && !strings.Contains(d, "site_id        text PRIMARY KEY") {
				t.Errorf("%s: primary key does not start with site_id", tb.Name)
			}
			for _, c := range tb.RemapColumns {
				if !regexp.MustCompile(`\n\s+` + c + `\s`).MatchString("\n" + d) {
					t.Errorf("%s: remap column %s is not a column", tb.Name, c)
				}
			}
			if s.Kind == "product" && tb.Product == "" {
				t.Errorf("%s: product table without a product", tb.Name)
			}
		}
	}
}

func TestStoresMakeAValidDescription(t *testing.T) {
	d := platform.Description{
		Clusters: []platform.Cluster{{Name: ClusterPlatform, Port: 1}, {Name: ClusterProducts, Port: 2}},
		Stores:   Stores(3),
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := len(d.StoresOfKind("product")); n != 3 {
		t.Errorf("%d product stores, want 3", n)
	}
	if _, err := SQL("nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown kind: %v", err)
	}
	// Parents come before children: every FK target is listed earlier.
	for _, s := range Stores(1) {
		seen := map[string]bool{}
		defs := tablesOf(t, map[string]string{"catalog": DBCatalog, "identity": DBCatalog, "flags": DBCatalog,
			"audit": DBCatalog, "search": DBSearch}[s.Name]+map[bool]string{true: "products"}[s.Kind == "product"])
		for _, tb := range s.Tables {
			for _, m := range regexp.MustCompile(`REFERENCES (\w+)`).FindAllStringSubmatch(defs[tb.Name], -1) {
				if m[1] != "sites" && !seen[m[1]] {
					t.Errorf("store %s: %s references %s, listed later", s.Name, tb.Name, m[1])
				}
			}
			seen[tb.Name] = true
		}
	}
}
