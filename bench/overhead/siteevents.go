package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/workflows"
)

// siteSample is how many closed site workflows of each program are read.
const siteSample = 20

// siteEvents is the mean number of history events per site workflow of a
// type, by event type, over up to siteSample closed ones, and how many were
// read: what each program costs the server per site, event by event.
func siteEvents(ctx context.Context, c client.Client, workflowType string) (map[string]float64, int, error) {
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		PageSize: siteSample,
		Query:    fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Completed'", workflowType),
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list %s workflows: %w", workflowType, err)
	}
	sum := map[string]float64{}
	n := 0
	for _, e := range resp.GetExecutions() {
		it := c.GetWorkflowHistory(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return nil, 0, fmt.Errorf("history of %s: %w", e.GetExecution().GetWorkflowId(), err)
			}
			sum[strings.TrimPrefix(ev.GetEventType().String(), "EVENT_TYPE_")]++
		}
		n++
	}
	for k := range sum {
		sum[k] /= float64(n)
	}
	return sum, n, nil
}

// printSiteEvents prints, per event type, the mean events per site of the
// Lazarus program and of the plain one (types where they differ first), and
// returns the two totals.
func printSiteEvents(ctx context.Context, c client.Client) (lazarus, plain float64, err error) {
	l, nl, err := siteEvents(ctx, c, workflows.RestoreSiteWorkflowName)
	if err != nil {
		return 0, 0, err
	}
	p, np, err := siteEvents(ctx, c, "PlainSite")
	if err != nil {
		return 0, 0, err
	}
	if nl == 0 || np == 0 {
		return 0, 0, nil
	}
	types := map[string]bool{}
	for k := range l {
		types[k] = true
	}
	for k := range p {
		types[k] = true
	}
	var keys []string
	for k := range types {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		di, dj := l[keys[i]]-p[keys[i]], l[keys[j]]-p[keys[j]]
		if di != dj {
			return di > dj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		lazarus += l[k]
		plain += p[k]
	}
	fmt.Printf("overhead: history events per site workflow (mean of %d Lazarus and %d plain sites): Lazarus %.1f, plain %.1f\n",
		nl, np, lazarus, plain)
	fmt.Printf("  %-42s %8s %8s\n", "EVENT TYPE", "LAZARUS", "PLAIN")
	for _, k := range keys {
		fmt.Printf("  %-42s %8.1f %8.1f\n", k, l[k], p[k])
	}
	return lazarus, plain, nil
}
