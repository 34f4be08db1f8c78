package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// stepInput is the JSON input of an external step (Lazarus's
// contract.StepInput), the fields this worker reads.
type stepInput struct {
	BatchID      string            `json:"batch_id"`
	SiteID       string            `json:"site_id"`
	StepID       string            `json:"step_id"`
	Action       string            `json:"action"` // "external"
	Runbook      string            `json:"runbook"`
	Params       map[string]string `json:"params"`
	RestorePoint time.Time         `json:"restore_point"`
	Vars         map[string]string `json:"vars"`
	Drill        bool              `json:"drill"`
}

// stepOutput is the JSON result of an external step (Lazarus's
// contract.StepOutput).
type stepOutput struct {
	Message string            `json:"message,omitempty"`
	Values  map[string]string `json:"values,omitempty"`
}

// billing is the example's system: it "reconciles" a site's billing once
// per batch, site and step, and answers a repeat with the same result
// (activities are retried: they must be idempotent).
type billing struct {
	out  io.Writer
	mu   sync.Mutex
	done map[string]stepOutput
}

func newBilling(out io.Writer) *billing {
	return &billing{out: out, done: map[string]stepOutput{}}
}

// Reconcile is the activity. A non-retryable application error parks the
// site's step in Lazarus; any other error is retried within the step's
// retry budget.
func (b *billing) Reconcile(ctx context.Context, in stepInput) (stepOutput, error) {
	if in.SiteID == "" || in.StepID == "" {
		return stepOutput{}, temporal.NewNonRetryableApplicationError("the step has no site_id or step_id", "InvalidInput", nil)
	}
	// Long work heartbeats within the step's heartbeat timeout (30s unless
	// the runbook says otherwise); this one is quick, one is enough.
	activity.RecordHeartbeat(ctx, "started")
	as := in.SiteID
	if id := in.Vars["new_site_id"]; id != "" {
		as = id // Restore 1 and drills write under a new ID
	}
	key := in.BatchID + "/" + in.SiteID + "/" + in.StepID
	b.mu.Lock()
	out, again := b.done[key]
	if !again {
		out = stepOutput{
			Message: fmt.Sprintf("billing reconciled for %s (account %s)", as, orNone(in.Params["account"])),
			Values:  map[string]string{"billing.reconciled": "true"},
		}
		b.done[key] = out
	}
	b.mu.Unlock()
	line, _ := json.Marshal(map[string]any{
		"event": "step", "key": key, "site_id": in.SiteID, "step_id": in.StepID, "batch_id": in.BatchID,
		"attempt": activity.GetInfo(ctx).Attempt, "again": again, "params": len(in.Params),
	})
	b.mu.Lock()
	fmt.Fprintln(b.out, string(line))
	b.mu.Unlock()
	return out, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
