package runbooks

import (
	"reflect"
	"sort"
	"testing"
)

// The closed registry is a contract with activities/ and workflows/ (the
// names are listed in /work/notes/common.md): it must not drift.
func TestActionsRegistry(t *testing.T) {
	want := []string{
		"apps.reattach", "catalog.activate_product", "catalog.create_site", "catalog.license",
		"catalog.place_region", "catalog.undelete", "db.clone", "db.drop_clone", "db.restore_tenant",
		"external", "flags.restore", "gate.customer_validation", "identity.restore_contacts", "identity.sync",
		"media.undelete", "metadata.restore", "search.reindex", "validate.automated", "webhook",
	}
	acts := Actions()
	var got []string
	for _, a := range acts {
		got = append(got, a.Name)
		if a.Service == "" || a.Stage == "" || a.Summary == "" {
			t.Errorf("%s: incomplete entry %+v", a.Name, a)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("registry %v\nwant %v", got, want)
	}
	if !sort.StringsAreSorted(got) {
		t.Error("Actions() not sorted")
	}
	services := map[string]string{
		"catalog.undelete": "catalog", "metadata.restore": "catalog", "identity.sync": "identity",
		"db.restore_tenant": "db", "media.undelete": "media", "flags.restore": "flags",
		"apps.reattach": "vendors", "search.reindex": "search", "validate.automated": "validate",
		"gate.customer_validation": "gate", "db.clone": "db",
	}
	for name, svc := range services {
		if a, _ := LookupAction(name); a.Service != svc {
			t.Errorf("%s: service %q, want %q", name, a.Service, svc)
		}
	}
	clone, _ := LookupAction("db.clone")
	if clone.Scope != ScopeBatch || clone.Cleanup != "db.drop_clone" || !reflect.DeepEqual(clone.Required, []string{"cluster"}) {
		t.Errorf("db.clone %+v", clone)
	}
	drop, _ := LookupAction("db.drop_clone")
	if drop.CleanupOf != "db.clone" || drop.Scope != ScopeBatch {
		t.Errorf("db.drop_clone %+v", drop)
	}
	gate, _ := LookupAction("gate.customer_validation")
	if !gate.Gate {
		t.Error("gate.customer_validation is not a gate")
	}
	for _, n := range []string{"db.restore_tenant", "catalog.activate_product", "search.reindex"} {
		if a, _ := LookupAction(n); !reflect.DeepEqual(a.Required, []string{"product"}) {
			t.Errorf("%s requires %v, want [product]", n, a.Required)
		}
	}
	names := ActivityNames()
	if len(names) != len(want)-2 || contains(names, "gate.customer_validation") || contains(names, "external") {
		t.Errorf("ActivityNames %v", names)
	}
	if got := Services(); !reflect.DeepEqual(got, []string{"catalog", "db", "flags", "identity", "media", "search", "validate", "vendors", "webhook"}) {
		t.Errorf("Services %v", got)
	}
	// Actions returns a copy.
	acts[0].Name = "changed"
	acts[len(acts)-1].Optional = append(acts[len(acts)-1].Optional, "x")
	if Actions()[0].Name == "changed" {
		t.Error("Actions() exposes the registry")
	}
}
