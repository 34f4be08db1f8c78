package runbooks

import (
	"reflect"
	"testing"
)

// TestPluginSteps: a webhook step and external steps compile with their
// params passed through (the ones the registry does not name included),
// and the registry keeps external actions off Lazarus's own activities
// and queues.
func TestPluginSteps(t *testing.T) {
	p := compileFile(t, "testdata/valid/plugins.yaml")
	notify := mustStep(t, p, "notify")
	if notify.Service != "webhook" || !reflect.DeepEqual(notify.Params, map[string]string{"webhook": "billing", "ticket": "INC-42"}) {
		t.Errorf("notify: %+v", notify)
	}
	rec := mustStep(t, p, "reconcile-jira")
	want := map[string]string{"task_queue": "billing-dr", "activity": "billing.reconcile", "product": "jira"}
	if rec.Service != "external" || !reflect.DeepEqual(rec.Params, want) || rec.Heartbeat.Minutes() != 1 {
		t.Errorf("reconcile-jira: %+v", rec)
	}
	if audit := mustStep(t, p, "audit-eu"); audit.Params["task_queue"] != "audit-eu" {
		t.Errorf("audit-eu: %+v", audit)
	}
	if contains(ActivityNames(), "external") || !contains(ActivityNames(), "webhook") {
		t.Errorf("ActivityNames %v: want webhook, not external", ActivityNames())
	}
	if contains(Services(), "external") || !contains(Services(), "webhook") {
		t.Errorf("Services %v: want webhook, not external", Services())
	}
	// Params outside the registry's lists stay refused for other actions.
	if _, err := Compile("x.yaml", []byte("name: x\nsteps:\n  - id: a\n    action: flags.restore\n    params: {ticket: x}\n")); err == nil {
		t.Error("flags.restore took an unknown param")
	}
}
