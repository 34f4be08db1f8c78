package main

import (
	"fmt"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/lazarus-dr/lazarus/workflows"
)

func newBatchCmd() *cobra.Command {
	tf := &temporalFlags{}
	c := &cobra.Command{Use: "batch", Short: "List, watch and steer restore batches"}
	tf.add(c)
	c.AddCommand(newBatchListCmd(tf), newBatchStatusCmd(tf), newBatchWatchCmd(tf),
		newBatchSimpleUpdateCmd(tf, "pause", workflows.UpdatePause, "Stop starting new sites (running sites go on)"),
		newBatchSimpleUpdateCmd(tf, "resume", workflows.UpdateResume, "Start new sites again"),
		newBatchSimpleUpdateCmd(tf, "cancel", workflows.UpdateCancel, "Cancel the batch: running sites stop at a safe point, clones are cleaned up"),
		newBatchAddSitesCmd(tf), newBatchSetConcurrencyCmd(tf),
		newBatchContactsCmd(tf), newBatchSwitchRunbookCmd(tf))
	return c
}

// printAccepted says that the workflow of subject accepted an operator's
// decision, and where to see it.
func printAccepted(cmd *cobra.Command, subject, decision, operator, webUI string) error {
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s: %s accepted (operator %s)\nWeb UI: %s\n", subject, decision, operator, webUI)
	return err
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// decodeKeyword reads a Keyword search attribute's value. Search
// attributes never go through a codec (the server indexes them): the
// default converter reads them, not codec.DataConverter.
func decodeKeyword(p *commonpb.Payload) string {
	if p == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}
