package worker

import (
	"context"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/lazarus-dr/lazarus/workflows"
)

// siteOwner is the activity workflows.ActivitySiteOwner: the batch whose
// site workflow is running for a site (its LazarusBatchID search
// attribute), or "" when no site workflow of that site is running.
func siteOwner(c client.Client) func(ctx context.Context, siteID string) (string, error) {
	return func(ctx context.Context, siteID string) (string, error) {
		id := workflows.SiteWorkflowID(siteID)
		resp, err := c.DescribeWorkflowExecution(ctx, id, "")
		if _, notFound := err.(*serviceerror.NotFound); notFound {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("describe site workflow %s: %w", id, err)
		}
		info := resp.GetWorkflowExecutionInfo()
		if info.GetCloseTime() != nil {
			return "", nil
		}
		p, ok := info.GetSearchAttributes().GetIndexedFields()[workflows.SearchAttrBatchID]
		if !ok {
			return "", nil
		}
		// Search attributes never go through a codec (the server indexes
		// them): the default converter reads them.
		var batchID string
		if err := converter.GetDefaultDataConverter().FromPayload(p, &batchID); err != nil {
			return "", fmt.Errorf("site workflow %s: read %s: %w", id, workflows.SearchAttrBatchID, err)
		}
		return batchID, nil
	}
}
