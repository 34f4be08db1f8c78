package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/workflows"
)

// operatorFlags are --operator and --reason: every steering command
// records who decided and why in the workflow itself.
type operatorFlags struct {
	operator, reason string
	cmd              *cobra.Command // to read --identity
}

// addOperatorFlags adds --operator and --reason to c. --operator defaults
// to $LAZARUS_OPERATOR, then the client identity (--identity, then
// $TEMPORAL_IDENTITY), then $USER.
func addOperatorFlags(c *cobra.Command) *operatorFlags {
	o := &operatorFlags{cmd: c}
	def := os.Getenv("LAZARUS_OPERATOR")
	if def == "" {
		def = tconn.Identity("")
	}
	if def == "" {
		def = os.Getenv("USER")
	}
	c.Flags().StringVar(&o.operator, "operator", def, "who decides (required; recorded in the batch) ($LAZARUS_OPERATOR, then --identity or $TEMPORAL_IDENTITY, then $USER)")
	c.Flags().StringVar(&o.reason, "reason", "", "why (recorded in the batch)")
	return o
}

// get is the operator as the workflow records it; an empty operator is a
// usage error.
func (o *operatorFlags) get() (workflows.Operator, error) {
	op := o.operator
	if id := flagValue(o.cmd, "identity"); id != "" && !o.cmd.Flags().Changed("operator") && os.Getenv("LAZARUS_OPERATOR") == "" {
		op = id // --identity, given on this command line, is the operator unless --operator or $LAZARUS_OPERATOR say otherwise
	}
	if strings.TrimSpace(op) == "" {
		return workflows.Operator{}, withExitCode(2, errors.New("--operator NAME is required: every decision is recorded with who made it"))
	}
	return workflows.Operator{Operator: strings.TrimSpace(op), Reason: o.reason}, nil
}

// updateWorkflow sends an Update and waits for it to complete; a rejection
// by the workflow's validator comes back as the error. The Update has one
// ID for the whole command, so a try repeated after a transient error (the
// server busy, a timeout) is applied once.
func updateWorkflow(ctx context.Context, c client.Client, wid, name string, args ...any) error {
	opts := client.UpdateWorkflowOptions{WorkflowID: wid, UpdateName: name, UpdateID: newUpdateID(name),
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: args}
	var h client.WorkflowUpdateHandle
	err := retryTransient(ctx, func() error {
		var err error
		h, err = c.UpdateWorkflow(ctx, opts)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s on %s: %w", name, wid, err)
	}
	if err := h.Get(ctx, nil); err != nil {
		return fmt.Errorf("%s on %s: %w", name, wid, err)
	}
	return nil
}

// newUpdateID is a fresh Update ID: the update's name and 16 random hex
// digits.
func newUpdateID(name string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return name + "-" + hex.EncodeToString(b)
}
