package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// The default runbooks' compiled plans run end to end through RestoreBatch
// (stand-in activities; every gate approved as soon as it opens): every
// site step runs exactly once per site, batch steps once per batch, and
// every cleanup runs.
func TestDefaultRunbooksRunEndToEnd(t *testing.T) {
	for _, name := range []string{"restore2", "restore1"} {
		t.Run(name, func(t *testing.T) {
			p, err := runbooks.Default(name)
			if err != nil {
				t.Fatalf("load %s: %v", name, err)
			}
			env := newEnv(t)
			rec := newRecorder()
			for _, a := range runbooks.ActivityNames() {
				rec.register(env, a, func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
					out := contract.StepOutput{Message: in.Action}
					if len(in.Sites) > 0 {
						out.Values = map[string]string{"clone": in.StepID}
						out.PerSite = map[string]contract.Vars{}
						for _, s := range in.Sites {
							out.PerSite[s.SiteID] = map[string]string{"clone." + in.Params["cluster"] + ".dsn": "postgres://" + in.StepID}
						}
					}
					return out, nil
				})
			}
			var gates []string
			batchSteps, siteSteps, cleanups := 0, 0, 0
			for _, st := range p.Steps {
				switch {
				case st.Gate != nil:
					gates = append(gates, st.ID)
				case st.Scope == runbooks.ScopeBatch:
					batchSteps++
					if st.Cleanup != "" {
						cleanups++
					}
				default:
					siteSteps++
				}
			}
			siteIDs := []string{"a", "b", "c"}
			for _, id := range siteIDs {
				for _, g := range gates {
					id, g := id, g
					env.RegisterDelayedCallback(func() {
						env.UpdateWorkflowByID(SiteWorkflowID(id), UpdateGateDecision, id+"/"+g, &updateCallbacks{t: t},
							GateDecision{StepID: g, Decision: "approve", Operator: "customer"})
					}, time.Hour)
				}
			}
			var in []Site
			for _, id := range siteIDs {
				in = append(in, Site{SiteID: id, RestorePoint: testSite.RestorePoint})
			}
			env.ExecuteWorkflow(RestoreBatchWorkflowName, RestoreBatchInput{BatchID: "d", Plan: *p, Sites: in, MaxConcurrentSites: 3})
			res := batchResult(t, env)
			if o := outcomes(res); o[SiteRestored] != 3 {
				t.Fatalf("outcomes %v errors %v", o, res.Errors)
			}
			calls := 0
			for _, a := range runbooks.ActivityNames() {
				for _, c := range rec.inputs(a) {
					if c.SiteID != "" {
						calls++
					}
				}
			}
			if calls != 3*siteSteps {
				t.Fatalf("%d site activity calls, want %d (3 sites x %d steps, each once)", calls, 3*siteSteps, siteSteps)
			}
			if n := len(rec.inputs("db.clone")); n != batchSteps {
				t.Fatalf("%d clone calls, want %d", n, batchSteps)
			}
			if n := len(rec.inputs("db.drop_clone")); n != cleanups {
				t.Fatalf("%d cleanups, want %d", n, cleanups)
			}
		})
	}
}

type updateCallbacks struct{ t *testing.T }

func (u *updateCallbacks) Accept()                   {}
func (u *updateCallbacks) Reject(err error)          { u.t.Errorf("gate update rejected: %v", err) }
func (u *updateCallbacks) Complete(_ any, err error) {}
