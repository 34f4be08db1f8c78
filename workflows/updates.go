package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// updateHandler is one workflow update: its name, its handler and the validator
// that rejects a bad request before it reaches the history.
type updateHandler struct {
	name               string
	handler, validator any
}

// registerUpdates registers updates with their validators.
func registerUpdates(ctx workflow.Context, updates ...updateHandler) error {
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler,
			workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return fmt.Errorf("register update %s: %w", u.name, err)
		}
	}
	return nil
}
