package runbooks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func compileFile(t *testing.T, path string) *Plan {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(path, src)
	if err != nil {
		t.Fatalf("compile %s:\n%v", path, err)
	}
	return p
}

func ids(p *Plan) []string {
	out := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = s.ID
	}
	return out
}

func mustStep(t *testing.T, p *Plan, id string) PlanStep {
	t.Helper()
	s, ok := p.Step(id)
	if !ok {
		t.Fatalf("no step %q in %v", id, ids(p))
	}
	return s
}

func TestCompileDiamond(t *testing.T) {
	p := compileFile(t, "testdata/valid/diamond.yaml")
	if got, want := ids(p), []string{"clone", "undelete", "restore", "flags", "validate", "customer"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v (Kahn, ties by file order)", got, want)
	}
	if got, want := p.CriticalPath, []string{"clone", "undelete", "restore", "validate", "customer"}; !reflect.DeepEqual(got, want) {
		t.Errorf("critical path %v, want %v", got, want)
	}
	if want := 38*time.Minute + 10*time.Second; p.EstimatedDuration != want {
		t.Errorf("estimated %s, want %s", p.EstimatedDuration, want)
	}
	if p.Width != 2 {
		t.Errorf("width %d, want 2 (restore and flags overlap)", p.Width)
	}
	if want := map[string]int{"db": 1, "db-slow": 1, "catalog": 1, "flags": 1, "validate": 1, "gate": 1}; !reflect.DeepEqual(p.StepsPerService, want) {
		t.Errorf("steps per service %v, want %v", p.StepsPerService, want)
	}
	src, _ := os.ReadFile("testdata/valid/diamond.yaml")
	sum := sha256.Sum256(src)
	if p.Digest != hex.EncodeToString(sum[:]) {
		t.Errorf("digest %s is not the sha256 of the source", p.Digest)
	}
	if p.Runbook != "diamond" || p.Description == "" {
		t.Errorf("runbook %q description %q", p.Runbook, p.Description)
	}

	restore := mustStep(t, p, "restore")
	wantRestore := PlanStep{
		ID: "restore", Action: "db.restore_tenant", Scope: ScopeSite, Service: "db-slow", Stage: "data-heavy",
		Needs: []string{"clone", "undelete"}, Timeout: 5 * time.Minute, Heartbeat: 30 * time.Second,
		Retry:       RetryPolicy{InitialInterval: 3 * time.Second, BackoffCoefficient: 1.5, MaximumInterval: 30 * time.Second, MaximumAttempts: 10},
		RetryBudget: 45 * time.Minute,
		OnFailure:   OnFailurePark, Estimate: 3 * time.Minute, Params: map[string]string{"product": "confluence"},
	}
	if !reflect.DeepEqual(restore, wantRestore) {
		t.Errorf("restore step\n got  %+v\n want %+v", restore, wantRestore)
	}
	flags := mustStep(t, p, "flags")
	if flags.OnFailure != OnFailureSkip || flags.Retry.MaximumAttempts != 4 || flags.Stage != "flags" || flags.Service != "flags" || flags.Estimate != time.Minute ||
		flags.Heartbeat != 30*time.Second || flags.RetryBudget != 20*time.Minute {
		t.Errorf("flags step did not get the runbook defaults: %+v", flags)
	}
	clone := mustStep(t, p, "clone")
	if clone.Scope != ScopeBatch || clone.Cleanup != "db.drop_clone" || clone.Timeout != time.Hour || clone.Params["tolerance"] != "2m" {
		t.Errorf("clone step %+v", clone)
	}
	// The runbook's default budget (20m) is raised to the step's timeout.
	if clone.RetryBudget != time.Hour {
		t.Errorf("clone retry budget %s, want its timeout 1h0m0s", clone.RetryBudget)
	}
	gate := mustStep(t, p, "customer")
	if gate.Gate == nil || *gate.Gate != (Gate{Deadline: 24 * time.Hour, Escalation: 4 * time.Hour, OnDeadline: "approve"}) {
		t.Errorf("gate %+v", gate.Gate)
	}
	if gate.Timeout != 24*time.Hour || gate.Retry != (RetryPolicy{}) || gate.Heartbeat != 0 || gate.RetryBudget != 0 {
		t.Errorf("gate step keeps activity settings: %+v", gate)
	}
	if got := p.LeadSteps("customer"); !reflect.DeepEqual(got, []string{"clone"}) {
		t.Errorf("lead steps of customer %v", got)
	}
	if len(p.BatchSteps()) != 1 || len(p.SiteSteps()) != 5 {
		t.Errorf("batch %d site %d", len(p.BatchSteps()), len(p.SiteSteps()))
	}
}

func TestCompileBuiltinDefaults(t *testing.T) {
	p := compileFile(t, "testdata/valid/minimal.yaml")
	want := PlanStep{
		ID: "undelete", Action: "catalog.undelete", Scope: ScopeSite, Service: "catalog", Stage: "catalog",
		Timeout: builtinTimeout, Heartbeat: 30 * time.Second,
		// Unlimited attempts, 1s doubling to at most 30s, for 10 minutes.
		Retry:       RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 0},
		RetryBudget: 10 * time.Minute,
		OnFailure:   OnFailurePark, Estimate: builtinEstimate,
	}
	if len(p.Steps) != 1 || !reflect.DeepEqual(p.Steps[0], want) {
		t.Fatalf("got %+v\nwant %+v", p.Steps, want)
	}
	if p.Width != 1 || p.EstimatedDuration != builtinEstimate || !reflect.DeepEqual(p.CriticalPath, []string{"undelete"}) {
		t.Errorf("width %d estimated %s path %v", p.Width, p.EstimatedDuration, p.CriticalPath)
	}
}

func TestCompileExpansionGroups(t *testing.T) {
	p := compileFile(t, "testdata/valid/groups.yaml")
	want := []string{
		"activate-jira-software", "activate-confluence", "activate-opsgenie",
		"restore-db-jira-software", "restore-db-confluence", "restore-db-opsgenie",
		"confluence-reindex", "validate",
	}
	if got := ids(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	if got := mustStep(t, p, "restore-db-opsgenie").Needs; !reflect.DeepEqual(got, []string{"activate-opsgenie"}) {
		t.Errorf("templated needs resolved to %v", got)
	}
	if got := mustStep(t, p, "activate-confluence").Params["product"]; got != "confluence" {
		t.Errorf("param {{ item }} expanded to %q", got)
	}
	if got := mustStep(t, p, "validate").Needs; !reflect.DeepEqual(got, []string{"restore-db-jira-software", "restore-db-confluence", "restore-db-opsgenie", "confluence-reindex"}) {
		t.Errorf("group needs resolved to %v", got)
	}
	if got := mustStep(t, p, "confluence-reindex").Estimate; got != 20*time.Second {
		t.Errorf("alias estimate %s", got)
	}
	if p.Width != 3 || p.EstimatedDuration != 3*time.Minute {
		t.Errorf("width %d estimated %s, want 3 and 3m", p.Width, p.EstimatedDuration)
	}
	if got, want := p.CriticalPath, []string{"activate-confluence", "restore-db-confluence", "confluence-reindex", "validate"}; !reflect.DeepEqual(got, want) {
		t.Errorf("critical path %v, want %v", got, want)
	}
}

// TestCompileDeterministic: the same source always gives the same plan, and
// the plan survives a JSON round trip (it is a Temporal payload).
func TestCompileDeterministic(t *testing.T) {
	for _, name := range Defaults() {
		a, err := Default(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			b, _ := Default(name)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: two compiles differ", name)
			}
		}
		raw, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back Plan
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*a, back) {
			t.Errorf("%s: plan changes in a JSON round trip", name)
		}
		if len(raw) > 256<<10 {
			t.Errorf("%s: plan is %d bytes, too big for a comfortable payload", name, len(raw))
		}
	}
}

func TestWidthCountsZeroEstimates(t *testing.T) {
	src := `name: zero
defaults: {estimate: 0s}
steps:
  - {id: a, action: catalog.undelete}
  - {id: b, action: flags.restore}
  - {id: c, action: metadata.restore, needs: [a], estimate: 1m}
`
	p, err := Compile("zero.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 2 || p.EstimatedDuration != time.Minute {
		t.Errorf("width %d estimated %s, want 2 and 1m", p.Width, p.EstimatedDuration)
	}
	chain := `name: chain
defaults: {estimate: 0s}
steps:
  - {id: a, action: catalog.undelete}
  - {id: b, action: flags.restore, needs: [a]}
  - {id: c, action: metadata.restore, needs: [b]}
`
	p, err = Compile("chain.yaml", []byte(chain))
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 1 || p.EstimatedDuration != 0 || len(p.CriticalPath) != 3 {
		t.Errorf("chain of zero steps: width %d estimated %s path %v, want 1, 0s, 3 steps", p.Width, p.EstimatedDuration, p.CriticalPath)
	}
}

func TestPlanCheck(t *testing.T) {
	p, err := Default("restore2")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(); err != nil {
		t.Fatalf("default plan fails Check: %v", err)
	}
	bad := *p
	bad.Steps = append([]PlanStep(nil), p.Steps...)
	bad.Steps[0].Needs = []string{"nowhere"}
	bad.Steps[1].Action = "teleport"
	bad.Steps = append(bad.Steps, bad.Steps[2])
	err = bad.Check()
	if err == nil {
		t.Fatal("broken plan passes Check")
	}
	for _, w := range []string{`needs "nowhere"`, `unknown action "teleport"`, "duplicate id"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Check error lacks %q: %v", w, err)
		}
	}
}

func TestCompileMergeKeys(t *testing.T) {
	p := compileFile(t, "testdata/valid/anchors.yaml")
	clone, restore := mustStep(t, p, "clone"), mustStep(t, p, "restore")
	if clone.Timeout != time.Hour || clone.Heartbeat != 2*time.Minute || clone.Estimate != 10*time.Minute || clone.Retry.MaximumAttempts != 3 {
		t.Errorf("merged fields not applied: %+v", clone)
	}
	if restore.Estimate != 20*time.Minute || restore.Timeout != time.Hour {
		t.Errorf("explicit field must win over merged: %+v", restore)
	}
}

func TestPlanServices(t *testing.T) {
	p := compileFile(t, "testdata/valid/diamond.yaml")
	if got := p.Services(); !reflect.DeepEqual(got, []string{"catalog", "db", "db-slow", "flags", "validate"}) {
		t.Errorf("services %v", got)
	}
	r2, _ := Default("restore2")
	// Every service but the plug-ins' (webhook), which restore2 has no use for.
	if got, want := r2.Services(), Services(); !reflect.DeepEqual(append(got, "webhook"), want) {
		t.Errorf("restore2 uses services %v, registry has %v", got, want)
	}
}
