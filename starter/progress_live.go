package main

// The steps done in a batch's running sites: the batch's progress query
// counts only its finished sites' steps (a site does not signal its batch
// per step), so `batch watch` lists the running sites through visibility
// and sums the progress each keeps in its memo (workflows.SiteProgress).

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/workflows"
)

// liveEvery is how often `batch watch` lists the running sites: a site
// updates its progress memo when it upserts its search attributes (a
// status change, or its stage at most every workflows.StageUpsertInterval)
// or on its own every workflows.ProgressUpsertInterval.
const liveEvery = workflows.StageUpsertInterval

// livePageSize is the page size of that list (the server's default maximum).
const livePageSize = 1000

// lister is the visibility call liveSteps needs (a client.Client has it).
type lister interface {
	ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
}

// liveSteps are the steps done in a batch's running sites, summed from
// their progress memos.
type liveSteps struct {
	// Sites counts the running site workflows listed; Reporting, those of
	// them that keep a progress memo (sites started before it was kept do
	// not; a site has none until its first steps are done).
	Sites, Reporting int
	StepsDone        int
	ByStage          map[string]int
	// Calls counts the visibility calls (pages) of the list.
	Calls int
	// Finished and FinishedByStage are the finished sites' steps as the
	// batch counted them when the list was made: the progress adds the
	// running sites' to these, not to later counts, in which a site that
	// ended since the list would be counted twice.
	Finished        int
	FinishedByStage map[string]int
}

// runningSitesQuery selects a batch's running site workflows.
func runningSitesQuery(batchID string) string {
	return fmt.Sprintf("%s = '%s' AND WorkflowType = '%s' AND ExecutionStatus = 'Running'",
		workflows.SearchAttrBatchID, batchID, workflows.RestoreSiteWorkflowName)
}

// listLiveSteps lists the batch's running sites, one page after the other,
// and sums their progress. A site whose memo already has its result has
// ended (it is still running only to tell its batch): the batch counts it,
// so it is left out here.
func listLiveSteps(ctx context.Context, c lister, ns, batchID string) (liveSteps, error) {
	l := liveSteps{ByStage: map[string]int{}}
	req := &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: runningSitesQuery(batchID), PageSize: livePageSize}
	for {
		l.Calls++
		resp, err := c.ListWorkflow(ctx, req)
		if err != nil {
			return l, fmt.Errorf("list the running sites of batch %s: %w", batchID, err)
		}
		for _, e := range resp.GetExecutions() {
			memo := e.GetMemo().GetFields()
			if _, ended := memo[workflows.MemoSiteResult]; ended {
				continue
			}
			l.Sites++
			var p workflows.SiteProgress
			if f, ok := memo[workflows.MemoSiteProgress]; ok && codec.DataConverter().FromPayload(f, &p) == nil {
				l.add(p)
			}
		}
		req.NextPageToken = resp.GetNextPageToken()
		if len(req.NextPageToken) == 0 {
			return l, nil
		}
	}
}

func (l *liveSteps) add(p workflows.SiteProgress) {
	l.Reporting++
	l.StepsDone += p.StepsDone
	for stage, n := range p.StepsDoneByStage {
		l.ByStage[stage] += n
	}
}

// liveSampler lists the running sites at most every liveEvery and keeps the
// last sum in between, so that a watch refreshed every second makes one list
// every few seconds.
type liveSampler struct {
	c       lister
	ns      string
	batchID string
	every   time.Duration
	at      time.Time
	last    *liveSteps
	err     error
}

// sample is the last sum, listed again when it is older than every, with
// the batch's progress p queried just before. After a failed list it is
// nil and err says why.
func (s *liveSampler) sample(ctx context.Context, now time.Time, p workflows.BatchProgress) (*liveSteps, error) {
	if s.at.IsZero() || now.Sub(s.at) >= s.every {
		s.at = now
		l, err := listLiveSteps(ctx, s.c, s.ns, s.batchID)
		l.Finished, l.FinishedByStage = p.StepsDone, p.StepsDoneByStage
		s.last, s.err = &l, err
		if err != nil {
			s.last = nil
		}
	}
	return s.last, s.err
}
