package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// MaxOperatorActions is how many steering decisions a batch keeps (the
// oldest are dropped past it): they cross every continue-as-new.
const MaxOperatorActions = 200

// act records an operator's steering decision: who, why, what changed.
// Every steering update calls it; the report's timeline shows them.
func (b *batchRun) act(ctx workflow.Context, action string, op Operator, detail string) {
	who := orUnknown(op.Operator)
	b.actions = append(b.actions, OperatorAction{At: workflow.Now(ctx), Action: action, Operator: who,
		Reason: op.Reason, Detail: detail})
	if len(b.actions) > MaxOperatorActions {
		b.actions = append([]OperatorAction(nil), b.actions[len(b.actions)-MaxOperatorActions:]...)
	}
	b.changed = true
	b.logger.Info("operator action", "action", action, "operator", who, "reason", op.Reason, "detail", detail)
}
