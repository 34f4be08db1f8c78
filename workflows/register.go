package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Register registers RestoreBatch, RestoreSite and DrillRun under their
// names on a worker (or a replayer, or a test environment).
func Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(RestoreBatch, workflow.RegisterOptions{Name: RestoreBatchWorkflowName})
	r.RegisterWorkflowWithOptions(RestoreSite, workflow.RegisterOptions{Name: RestoreSiteWorkflowName})
	r.RegisterWorkflowWithOptions(DrillRun, workflow.RegisterOptions{Name: DrillWorkflowName})
	r.RegisterWorkflowWithOptions(BatchContacts, workflow.RegisterOptions{Name: BatchContactsWorkflowName})
}
