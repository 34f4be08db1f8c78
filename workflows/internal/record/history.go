package main

import (
	"context"
	"fmt"
	"os"
	"time"

	historypb "go.temporal.io/api/history/v1"

	"go.temporal.io/sdk/client"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lazarus-dr/lazarus/workflows"
)

func waitStep(ctx context.Context, c client.Client, id, stepID, status string) error {
	for i := 0; i < 200; i++ {
		v, err := c.QueryWorkflow(ctx, id, "", workflows.QuerySiteState)
		if err == nil {
			var st workflows.SiteState
			if err := v.Get(&st); err != nil {
				return err
			}
			for _, s := range st.Steps {
				if s.StepID == stepID && s.Status == status {
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("step %s of %s never became %s", stepID, id, status)
}

func doUpdate(ctx context.Context, c client.Client, id, name string, arg any) error {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	return h.Get(ctx, nil)
}

func history(ctx context.Context, c client.Client, id, runID string) (*historypb.History, error) {
	it := c.GetWorkflowHistory(ctx, id, runID, false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

func length(ctx context.Context, c client.Client, id, runID string) int {
	h, err := history(ctx, c, id, runID)
	if err != nil {
		return -1
	}
	return len(h.Events)
}

func prevRun(ctx context.Context, c client.Client, id, runID string) string {
	h, err := history(ctx, c, id, runID)
	if err != nil || len(h.Events) == 0 {
		return ""
	}
	return h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
}

func dump(ctx context.Context, c client.Client, id, runID, path string) error {
	h, err := history(ctx, c, id, runID)
	if err != nil {
		return err
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
