package workflows

import (
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// External steps (action contract.ActionExternal) are carried out by a
// team's own worker, in any SDK language: the step is scheduled as the
// activity type its params name (contract.ExternalActivity) on the task
// queue they name (contract.ParamTaskQueue), instead of the action's name
// on its service's queue. Its input (contract.StepInput) and result
// (contract.StepOutput) are plain JSON payloads, without Lazarus's
// compression codec (internal/codec), so that the team's worker needs no
// codec. Every other step is scheduled as before: no history recorded
// before external steps existed replays differently (none holds one).

// isExternal says whether a plan step runs on a team's own worker.
func isExternal(ps runbooks.PlanStep) bool { return ps.Action == contract.ActionExternal }

// stepActivityType is the activity type a plan step schedules.
func stepActivityType(ps runbooks.PlanStep) string {
	if isExternal(ps) {
		return contract.ExternalActivity(ps.Params)
	}
	return ps.Action
}

// stepTaskQueue is the task queue a plan step's activity goes to.
func stepTaskQueue(ps runbooks.PlanStep) string {
	if isExternal(ps) {
		return ps.Params[contract.ParamTaskQueue]
	}
	return ActivityTaskQueue(ps.Service)
}

// withStepConverter is ctx with the plain JSON data converter for an
// external step, ctx itself for any other.
func withStepConverter(ctx workflow.Context, ps runbooks.PlanStep) workflow.Context {
	if isExternal(ps) {
		return workflow.WithDataConverter(ctx, converter.GetDefaultDataConverter())
	}
	return ctx
}
