package workflows

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// Every default plan survives packing, and packs to a fraction of its JSON.
func TestPackPlanRoundTrip(t *testing.T) {
	for _, name := range runbooks.Defaults() {
		p, err := runbooks.Default(name)
		if err != nil {
			t.Fatal(err)
		}
		packed, err := packPlan(*p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := unpackPlan(packed)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, *p) {
			t.Fatalf("%s: the unpacked plan differs from the plan", name)
		}
		raw, _ := json.Marshal(p)
		if len(packed)*4 > len(raw) {
			t.Fatalf("%s: packed %d bytes from %d: less than 4 times smaller", name, len(packed), len(raw))
		}
		t.Logf("%s: %d bytes of JSON, %d packed", name, len(raw), len(packed))
	}
	if _, err := unpackPlan([]byte("not gzip")); err == nil {
		t.Fatal("a corrupt packed plan must be refused")
	}
}
