package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// BatchContactsWorkflowName reads the admins of a batch's sites from the
// batch's clone (`lazarus batch contacts`); it runs on BatchTaskQueue.
const BatchContactsWorkflowName = "BatchContacts"

// Bounds of the contacts read: one attempt reads a few thousand rows, and
// the whole read must answer while an operator waits for it.
const (
	contactsAttemptTimeout = time.Minute
	contactsReadBudget     = 3 * time.Minute
)

// ContactsWorkflowID is the workflow ID of a batch's contacts read (one at
// a time per batch; the ID is reused by the next read).
func ContactsWorkflowID(batchID string) string { return "lazarus-contacts-" + batchID }

// ContactsTaskQueue is where contacts.read runs: the queue of the service
// that restores the contacts (identity.restore_contacts), whose workers
// reach the identity store's clones.
func ContactsTaskQueue() string {
	service := "identity"
	if a, ok := runbooks.LookupAction(contract.ActionIdentityContacts); ok && a.Service != "" {
		service = a.Service
	}
	return ActivityTaskQueue(service)
}

// BatchContacts runs contract.ActivityContactsRead once (retried while it
// fails for a reason that can pass: a clone still starting, a lost
// connection) and returns its contacts. It queries nothing and writes
// nothing: the request carries the batch's sites and clones.
func BatchContacts(ctx workflow.Context, req contract.ContactsRequest) (contract.ContactsResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              ContactsTaskQueue(),
		StartToCloseTimeout:    contactsAttemptTimeout,
		HeartbeatTimeout:       DefaultHeartbeatTimeout,
		ScheduleToCloseTimeout: contactsReadBudget,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second,
			NonRetryableErrorTypes: []string{contract.ErrCloneNotReady},
		},
		Summary: "read the admins of " + req.BatchID,
	})
	var out contract.ContactsResult
	err := workflow.ExecuteActivity(ctx, contract.ActivityContactsRead, req).Get(ctx, &out)
	if err != nil {
		return out, err
	}
	workflow.GetLogger(ctx).Info("batch contacts read", "batch", req.BatchID,
		"contacts", len(out.Contacts), "sites_without_admins", len(out.NoContacts))
	return out, nil
}
