package workflows

import (
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// eventProbe is a stand-in batch: it starts one RestoreSite child and
// returns the kinds of the site events the child signalled it.
func eventProbe(ctx workflow.Context, p runbooks.Plan) ([]string, error) {
	var kinds []string
	ch := workflow.GetSignalChannel(ctx, SignalSiteEvent)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var ev SiteEvent
			ch.Receive(gctx, &ev)
			kinds = append(kinds, ev.Kind)
		}
	})
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: SiteWorkflowID("s1")})
	var res SiteResult
	if err := workflow.ExecuteChildWorkflow(cctx, RestoreSiteWorkflowName, RestoreSiteInput{BatchID: "b", Site: testSite, Plan: p}).Get(ctx, &res); err != nil {
		return nil, err
	}
	// Let signals sent before the completion arrive.
	_ = workflow.Sleep(ctx, time.Minute)
	return append(kinds, "completed:"+res.Outcome), nil
}

// Every site reports its end to its batch by signal, blocked or not: the
// run that started it may have handed it over to a later run, which learns
// its end only that way (the run that is still open also gets the child's
// completion).
func TestSiteReportsItsEndToItsBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		plan runbooks.Plan
		want string
	}{
		{"never blocked", plan(step("a", "a"), step("b", "b", "a")), "[finished completed:restored]"},
		{"waited at a gate", plan(step("a", "a"), gateStep("g", runbooks.Gate{Deadline: time.Hour, OnDeadline: "approve"}, "a")),
			"[waiting finished completed:restored]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			env.RegisterWorkflowWithOptions(eventProbe, workflow.RegisterOptions{Name: "eventProbe"})
			rec := newRecorder()
			rec.register(env, "a", ok("a"))
			rec.register(env, "b", ok("b"))
			env.ExecuteWorkflow("eventProbe", tc.plan)
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var kinds []string
			if err := env.GetWorkflowResult(&kinds); err != nil {
				t.Fatal(err)
			}
			if got := fmtKinds(kinds); got != tc.want {
				t.Fatalf("site events %s, want %s", got, tc.want)
			}
		})
	}
}

func fmtKinds(k []string) string {
	s := "["
	for i, v := range k {
		if i > 0 {
			s += " "
		}
		s += v
	}
	return s + "]"
}
