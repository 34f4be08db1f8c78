package platform

import "testing"

func TestTenantColumnOf(t *testing.T) {
	s := Store{TenantColumn: "site_id"}
	if got := s.TenantColumnOf(Table{Name: "sites"}); got != "site_id" {
		t.Errorf("store default: %q, want site_id", got)
	}
	if got := s.TenantColumnOf(Table{Name: "odd", TenantColumn: "tenant"}); got != "tenant" {
		t.Errorf("table override: %q, want tenant", got)
	}
}
