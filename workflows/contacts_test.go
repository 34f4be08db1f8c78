package workflows

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/lazarus-dr/lazarus/contract"
)

// TestBatchContactsRetriesThenAnswers: a read that fails for a reason that
// can pass is retried, on the identity service's queue, and the answer is
// the workflow's result.
func TestBatchContactsRetriesThenAnswers(t *testing.T) {
	env := newEnv(t)
	attempts := 0
	var queue string
	env.RegisterActivityWithOptions(func(ctx context.Context, req contract.ContactsRequest) (contract.ContactsResult, error) {
		attempts++
		queue = activity.GetInfo(ctx).TaskQueue
		if attempts < 3 {
			return contract.ContactsResult{}, temporal.NewApplicationError("connection lost", "ContactsReadFailed")
		}
		return contract.ContactsResult{BatchID: req.BatchID, Contacts: []contract.Contact{{SiteID: "s1", Email: "a@x"}}}, nil
	}, activity.RegisterOptions{Name: contract.ActivityContactsRead})
	env.ExecuteWorkflow(BatchContactsWorkflowName, contract.ContactsRequest{BatchID: "b1"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res contract.ContactsResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if attempts != 3 || res.BatchID != "b1" || len(res.Contacts) != 1 {
		t.Errorf("attempts %d, result %+v", attempts, res)
	}
	if queue != ActivityTaskQueue("identity") {
		t.Errorf("ran on %q, want the identity service's queue", queue)
	}
}

// TestBatchContactsNotReadyIsNotRetried: a clone not ready yet ends the
// workflow at once with that error type (the CLI says "retry later").
func TestBatchContactsNotReadyIsNotRetried(t *testing.T) {
	env := newEnv(t)
	attempts := 0
	env.RegisterActivityWithOptions(func(ctx context.Context, req contract.ContactsRequest) (contract.ContactsResult, error) {
		attempts++
		return contract.ContactsResult{}, temporal.NewApplicationError("no clone yet", contract.ErrCloneNotReady)
	}, activity.RegisterOptions{Name: contract.ActivityContactsRead})
	env.ExecuteWorkflow(BatchContactsWorkflowName, contract.ContactsRequest{BatchID: "b1"})
	err := env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contract.ErrCloneNotReady {
		t.Fatalf("error %v, want type %s", err, contract.ErrCloneNotReady)
	}
	if attempts != 1 {
		t.Errorf("%d attempts, want 1", attempts)
	}
}

func TestContactsWorkflowID(t *testing.T) {
	if got := ContactsWorkflowID("incident-42"); got != "lazarus-contacts-incident-42" {
		t.Errorf("%q", got)
	}
}
