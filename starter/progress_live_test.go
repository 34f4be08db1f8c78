package main

import (
	"context"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/workflows"
)

// fakeLister answers ListWorkflow with its pages, in turn, and records
// the requests.
type fakeLister struct {
	pages [][]*workflowpb.WorkflowExecutionInfo
	reqs  []*workflowservice.ListWorkflowExecutionsRequest
}

func (f *fakeLister) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.reqs = append(f.reqs, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: req.GetNamespace(), Query: req.GetQuery(), PageSize: req.GetPageSize(), NextPageToken: req.GetNextPageToken()})
	i := len(f.reqs) - 1
	resp := &workflowservice.ListWorkflowExecutionsResponse{Executions: f.pages[i%len(f.pages)]}
	if i%len(f.pages) < len(f.pages)-1 {
		resp.NextPageToken = []byte{byte(i + 1)}
	}
	return resp, nil
}

// siteExec is a running site workflow whose memo has the given fields,
// encoded as the worker encodes them (with the codec).
func siteExec(t *testing.T, memo map[string]any) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	fields := map[string]*commonpb.Payload{}
	for k, v := range memo {
		p, err := codec.DataConverter().ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		fields[k] = p
	}
	return &workflowpb.WorkflowExecutionInfo{Memo: &commonpb.Memo{Fields: fields}}
}

func progressMemo(done int, byStage map[string]int) map[string]any {
	return map[string]any{workflows.MemoSiteProgress: workflows.SiteProgress{StepsDone: done, StepsDoneByStage: byStage}}
}

// The running sites' progress memos are summed over every page; a site
// without one counts as running, a site whose memo has its result (it has
// ended: its batch counts it) is left out.
func TestListLiveSteps(t *testing.T) {
	f := &fakeLister{pages: [][]*workflowpb.WorkflowExecutionInfo{
		{
			siteExec(t, progressMemo(3, map[string]int{"catalog": 2, "identity": 1})),
			siteExec(t, nil),
		},
		{
			siteExec(t, progressMemo(1, map[string]int{"catalog": 1})),
			siteExec(t, map[string]any{workflows.MemoSiteResult: workflows.SiteResult{SiteID: "s1"},
				workflows.MemoSiteProgress: workflows.SiteProgress{StepsDone: 4, StepsDoneByStage: map[string]int{"catalog": 4}}}),
		},
	}}
	l, err := listLiveSteps(context.Background(), f, "default", "b1")
	if err != nil {
		t.Fatal(err)
	}
	if l.Sites != 3 || l.Reporting != 2 || l.StepsDone != 4 || l.ByStage["catalog"] != 3 || l.ByStage["identity"] != 1 || l.Calls != 2 {
		t.Fatalf("live %+v, want 3 sites, 2 reporting, 4 steps (catalog 3, identity 1), 2 calls", l)
	}
	q := f.reqs[0].GetQuery()
	for _, want := range []string{"LazarusBatchID = 'b1'", "WorkflowType = 'RestoreSite'", "ExecutionStatus = 'Running'"} {
		if !strings.Contains(q, want) {
			t.Errorf("query %q lacks %q", q, want)
		}
	}
	if len(f.reqs[0].GetNextPageToken()) != 0 || string(f.reqs[1].GetNextPageToken()) != "\x01" {
		t.Errorf("page tokens %v, %v: want none, then the first page's", f.reqs[0].GetNextPageToken(), f.reqs[1].GetNextPageToken())
	}
}

// A watch refreshed every second lists the running sites once per
// liveEvery, and shows the last sum in between.
func TestLiveSamplerListsOncePerInterval(t *testing.T) {
	f := &fakeLister{pages: [][]*workflowpb.WorkflowExecutionInfo{{siteExec(t, progressMemo(2, map[string]int{"catalog": 2}))}}}
	s := &liveSampler{c: f, ns: "default", batchID: "b1", every: liveEvery}
	for i := 0; i <= 10; i++ {
		l, err := s.sample(context.Background(), watchNow.Add(time.Duration(i)*time.Second), midway())
		if err != nil || l == nil || l.StepsDone != 2 {
			t.Fatalf("sample %d: %+v, %v", i, l, err)
		}
	}
	if want := 1 + int(10*time.Second/liveEvery); len(f.reqs) != want {
		t.Fatalf("%d lists in 10 s, want %d", len(f.reqs), want)
	}
}

// Between two lists, a site that ended is in the batch's later counts and
// still in the last list: the progress adds the running sites' steps to
// the batch's counts of the list's moment, so it is not counted twice.
func TestLiveStepsKeepTheirMomentsCounts(t *testing.T) {
	f := &fakeLister{pages: [][]*workflowpb.WorkflowExecutionInfo{{
		siteExec(t, progressMemo(2, map[string]int{"catalog": 1, "identity": 1})),
		siteExec(t, progressMemo(1, map[string]int{"catalog": 1})),
	}}}
	s := &liveSampler{c: f, ns: "default", batchID: "b1", every: liveEvery}
	p0 := midway()
	l, _ := s.sample(context.Background(), watchNow, p0)
	// A second later the first site has ended (its 2 steps and 2 more).
	p1 := midway()
	p1.StepsDone += 4
	p1.StepsDoneByStage = map[string]int{"catalog": 3, "identity": 3, "validation": 6}
	l1, _ := s.sample(context.Background(), watchNow.Add(time.Second), p1)
	if l1 != l || len(f.reqs) != 1 {
		t.Fatalf("listed %d times in a second", len(f.reqs))
	}
	v := progressView{P: p1, Live: l1, Now: watchNow.Add(time.Second)}
	if c := v.stages()[0]; c.Finished != 2 || c.Running != 2 {
		t.Errorf("catalog %+v, want the list's moment: 2 finished + 2 running", c)
	}
	if c := v.steps(); c.Done() != p0.StepsDone+3 {
		t.Errorf("steps %+v, want %d (%d finished then, 3 running)", c, p0.StepsDone+3, p0.StepsDone)
	}
}
