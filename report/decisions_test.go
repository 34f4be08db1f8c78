package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

func TestDecisionsInTheTimeline(t *testing.T) {
	t0 := time.Date(2022, 4, 5, 9, 0, 0, 0, time.UTC)
	few := []workflows.SiteResult{
		{SiteID: "a", Outcome: workflows.SiteRestored, Decisions: []workflows.OperatorAction{
			{At: t0.Add(2 * time.Minute), Action: "approve", Operator: "bob", Detail: "site a step customer-validation"}}},
		{SiteID: "b", Outcome: workflows.SiteRestored, Decisions: []workflows.OperatorAction{
			{At: t0.Add(time.Minute), Action: "retry", Operator: "alice", Reason: "shard back", Detail: "site b step restore-db"}}},
	}
	ev := decisionEvents(few)
	if len(ev) != 2 || ev[0].What != "step retried by alice: site b step restore-db (reason: shard back)" ||
		ev[1].What != "gate approved by bob: site a step customer-validation" || ev[1].Action != "approve" || ev[1].Operator != "bob" {
		t.Fatalf("events %+v", ev)
	}
	md := renderMD(t, workflows.BatchResult{BatchID: "b1", Runbook: "restore2", StartedAt: t0, Sites: few})
	if !strings.Contains(md, "step retried by alice") || !strings.Contains(md, "gate approved by bob") {
		t.Fatalf("the Markdown timeline lacks the decisions:\n%s", md)
	}

	var many []workflows.SiteResult
	for i := range 30 {
		many = append(many, workflows.SiteResult{SiteID: fmt.Sprintf("s%02d", i), Decisions: []workflows.OperatorAction{
			{At: t0.Add(time.Duration(i) * time.Second), Action: "approve", Operator: "watcher", Detail: "gate"}}})
	}
	many[3].Decisions = append(many[3].Decisions, workflows.OperatorAction{At: t0.Add(time.Hour), Action: "reject", Operator: "bob", Detail: "gate"})
	ev = decisionEvents(many)
	if len(ev) != 2 || ev[0].What != "gate approved by watcher: 30 sites, from 09:00:00 to 09:00:29" || ev[1].What != "gate rejected by bob: 1 site" {
		t.Fatalf("aggregated events %+v", ev)
	}
}

func renderMD(t *testing.T, res workflows.BatchResult) string {
	t.Helper()
	var b strings.Builder
	if err := Render(&b, "md", Build(res, Options{GeneratedAt: res.StartedAt.Add(time.Hour)})); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
