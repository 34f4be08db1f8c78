package workflows

import (
	"testing"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// productPlan: a catalog step, then per product a restore and (after it)
// a validation, each with only_if_product.
func productPlan() runbooks.Plan {
	var steps []runbooks.PlanStep
	steps = append(steps, step("catalog", "catalog"))
	for _, p := range []string{"jira", "confluence"} {
		r := step("restore-"+p, "restore", "catalog")
		r.OnlyIfProduct = p
		v := step("validate-"+p, "validate", "restore-"+p)
		v.OnlyIfProduct = p
		steps = append(steps, r, v)
	}
	steps = append(steps, step("site", "site", "validate-jira", "validate-confluence"))
	return plan(steps...)
}

// A site that had only jira at the restore point restores and validates
// jira, and skips confluence's steps without running an activity; the
// steps after them still run.
func TestSiteSkipsProductsItDidNotHave(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	rec.register(env, "catalog", sleepy(0, map[string]string{contract.VarSiteProducts: "jira,statuspage"}))
	for _, a := range []string{"restore", "validate", "site"} {
		rec.register(env, a, sleepy(0, nil))
	}
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: productPlan()})
	res := siteResult(t, env)
	if res.Outcome != SiteRestored {
		t.Fatalf("outcome %s, want restored (%v)", res.Outcome, res.Errors)
	}
	for _, id := range []string{"restore-confluence", "validate-confluence"} {
		if st := stepState(t, res.Steps, id); st.Status != StepSkipped || st.Message != "site had no confluence at the restore point: nothing to do" {
			t.Errorf("%s: %s %q, want skipped for want of confluence", id, st.Status, st.Message)
		}
	}
	for _, id := range []string{"restore-jira", "validate-jira", "site"} {
		if st := stepState(t, res.Steps, id); st.Status != StepDone {
			t.Errorf("%s: %s, want done", id, st.Status)
		}
	}
	for _, a := range []string{"restore", "validate"} {
		in := rec.inputs(a)
		if len(in) != 1 || in[0].StepID != a+"-jira" {
			t.Errorf("%s ran for %d steps (%v), want once, for jira", a, len(in), in)
		}
	}
}

// Without the list (a catalog step that does not set it), every step runs.
func TestSiteRunsProductStepsWhenProductsUnknown(t *testing.T) {
	env := newEnv(t)
	rec := newRecorder()
	for _, a := range []string{"catalog", "restore", "validate", "site"} {
		rec.register(env, a, sleepy(0, nil))
	}
	env.ExecuteWorkflow(RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b1", Site: testSite, Plan: productPlan()})
	res := siteResult(t, env)
	if res.Outcome != SiteRestored {
		t.Fatalf("outcome %s, want restored (%v)", res.Outcome, res.Errors)
	}
	if n, m := len(rec.inputs("restore")), len(rec.inputs("validate")); n != 2 || m != 2 {
		t.Fatalf("restore ran %d times, validate %d; want 2 each", n, m)
	}
}
