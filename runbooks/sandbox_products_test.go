package runbooks_test

import (
	"sort"
	"testing"

	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// The default runbooks expand per product over the products of the sandbox
// platform; a name the platform does not know fails the restore at run time
// (an unknown product is a non-retryable error of the activities).
func TestDefaultProductsAreTheSandboxes(t *testing.T) {
	want := append([]string(nil), schema.Products...)
	sort.Strings(want)
	for _, name := range runbooks.Defaults() {
		p, err := runbooks.Default(name)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range p.Steps {
			if v := s.Params[runbooks.ParamProduct]; v != "" {
				seen[v] = true
			}
		}
		var got []string
		for k := range seen {
			got = append(got, k)
		}
		sort.Strings(got)
		if len(got) != len(want) {
			t.Fatalf("%s: products %v, sandbox has %v", name, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: products %v, sandbox has %v", name, got, want)
				break
			}
		}
	}
}
