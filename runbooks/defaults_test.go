package runbooks

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestDefaultRunbooks checks the figures issue 2 asks for.
func TestDefaultRunbooks(t *testing.T) {
	r1, err := Default("restore1")
	if err != nil {
		t.Fatalf("restore1: %v", err)
	}
	r2, err := Default("restore2")
	if err != nil {
		t.Fatalf("restore2: %v", err)
	}
	t.Logf("restore1: %d steps, critical path %s (%d steps), width %d", len(r1.Steps), r1.EstimatedDuration, len(r1.CriticalPath), r1.Width)
	t.Logf("restore2: %d steps, critical path %s (%d steps), width %d", len(r2.Steps), r2.EstimatedDuration, len(r2.CriticalPath), r2.Width)
	if n := len(r1.Steps); n < 60 || n > 80 {
		t.Errorf("restore1 has %d steps, want 60 to 80", n)
	}
	if n := len(r2.Steps); n < 25 || n > 35 {
		t.Errorf("restore2 has %d steps, want 25 to 35", n)
	}
	if r2.Width < 5 {
		t.Errorf("restore2 width %d, want >= 5", r2.Width)
	}
	if r1.EstimatedDuration < 2*r2.EstimatedDuration {
		t.Errorf("restore1 critical path %s is not much longer than restore2's %s", r1.EstimatedDuration, r2.EstimatedDuration)
	}
	if len(r1.CriticalPath) < 2*len(r2.CriticalPath) {
		t.Errorf("restore1 critical path has %d steps, restore2's %d: restore1 should be largely sequential", len(r1.CriticalPath), len(r2.CriticalPath))
	}
	for _, p := range []*Plan{r1, r2} {
		if err := p.Check(); err != nil {
			t.Errorf("%s: %v", p.Runbook, err)
		}
		// Every site step waits for a lead step (directly or not), so the
		// batch workflow may start a site once its lead steps are done.
		for _, s := range p.SiteSteps() {
			if len(p.LeadSteps(s.ID)) == 0 {
				t.Errorf("%s: site step %s needs no batch step", p.Runbook, s.ID)
			}
		}
		last := p.Steps[len(p.Steps)-1]
		if last.Action != "gate.customer_validation" || last.Gate == nil {
			t.Errorf("%s: last step %s is not the customer validation gate", p.Runbook, last.ID)
		}
		clusters := map[string]bool{}
		for _, s := range p.BatchSteps() {
			clusters[s.Params[ParamCluster]] = true
			if s.Cleanup != "db.drop_clone" {
				t.Errorf("%s: batch step %s has cleanup %q", p.Runbook, s.ID, s.Cleanup)
			}
		}
		if !reflect.DeepEqual(clusters, map[string]bool{"platform": true, "products": true}) {
			t.Errorf("%s: clones of clusters %v, want platform and products", p.Runbook, clusters)
		}
		products := map[string]bool{}
		for _, s := range p.Steps {
			if s.Action == "db.restore_tenant" {
				products[s.Params[ParamProduct]] = true
			}
		}
		if len(products) != 5 {
			t.Errorf("%s: restores %d products, want 5: %v", p.Runbook, len(products), products)
		}
	}
	uses := func(p *Plan, action string) bool {
		for _, s := range p.Steps {
			if s.Action == action {
				return true
			}
		}
		return false
	}
	// Restore 1 makes a new site; Restore 2 reuses the old one.
	if !uses(r1, "catalog.create_site") || uses(r1, "catalog.undelete") {
		t.Errorf("restore1 must create a new site and never undelete the old one")
	}
	if uses(r2, "catalog.create_site") || !uses(r2, "catalog.undelete") {
		t.Errorf("restore2 must undelete the old site and never create a new one")
	}
	if first := r2.SiteSteps()[0]; first.Action != "catalog.undelete" {
		t.Errorf("restore2 starts with %s, want catalog.undelete", first.Action)
	}
	// Between them the defaults use every action of the registry that can
	// be a step, the plug-ins (AnyParams: a team's own systems) aside.
	for _, a := range Actions() {
		if a.CleanupOf == "" && !a.AnyParams && !uses(r1, a.Name) && !uses(r2, a.Name) {
			t.Errorf("no default runbook uses action %s", a.Name)
		}
	}
}

func TestLoad(t *testing.T) {
	byName, err := Load("restore2")
	if err != nil {
		t.Fatal(err)
	}
	byPath, err := Load("restore2.yaml") // the file in this directory overrides nothing: same source
	if err != nil {
		t.Fatal(err)
	}
	byName.Digest, byPath.Digest = "", ""
	if !reflect.DeepEqual(byName, byPath) {
		t.Errorf("embedded restore2 differs from restore2.yaml on disk")
	}
	src, _ := os.ReadFile("restore1.yaml")
	sum := sha256.Sum256(src)
	p, err := Load("restore1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Digest != hex.EncodeToString(sum[:]) {
		t.Errorf("embedded restore1 is stale: digest differs from restore1.yaml")
	}
	// A file path overrides the defaults.
	p, err = Load("testdata/valid/minimal.yaml")
	if err != nil || p.Runbook != "minimal" {
		t.Errorf("load by path: %v %v", p, err)
	}
	_, err = Load("restore3")
	if err == nil || !strings.Contains(err.Error(), "restore3") || !strings.Contains(err.Error(), "restore1") {
		t.Errorf("unknown runbook error %v should name it and the defaults", err)
	}
	_, err = Load("testdata/invalid/cycle.yaml")
	if len(Problems(err)) != 2 {
		t.Errorf("invalid file: %v", err)
	}
	if _, err := Default("nope"); err == nil {
		t.Error("Default(nope) succeeded")
	}
}
