package preflight

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lazarus-dr/lazarus/platform"
)

func TestCheckRefusesSitesOfARunningBatch(t *testing.T) {
	d := newDir()
	var asked []string
	running := RunningFunc(func(_ context.Context, ids []string) (map[string]Holder, error) {
		asked = append(asked, ids...)
		return map[string]Holder{
			"site-deleted-1": {Batch: "incident-42"},
			"site-live":      {Batch: "incident-42"}, // restored far enough to be live again
			"site-deleted-2": {Batch: "incident-41", Queued: true},
		}, nil
	})
	q := req("site-deleted-1", "site-deleted-2", "site-live", "app-1", "nope", "site-old")
	q.Running = running
	_, err := Check(context.Background(), d, q)
	r := refused(t, err)
	// Only sites are asked about: apps and unknown IDs are never in a batch.
	slices.Sort(asked)
	if strings.Join(asked, ",") != "site-deleted-1,site-deleted-2,site-live,site-old" {
		t.Errorf("asked about %v", asked)
	}
	want := map[string]string{
		"site-deleted-1": "site-deleted-1: is being restored by running batch incident-42 (see `lazarus batch status incident-42`): a site is restored by one batch at a time",
		"site-deleted-2": "site-deleted-2: is queued in running batch incident-41 (see `lazarus batch status incident-41`): a site is restored by one batch at a time",
		"site-live":      "site-live: is being restored by running batch incident-42 (see `lazarus batch status incident-42`): a site is restored by one batch at a time",
	}
	for _, p := range r.Problems {
		if w, ok := want[p.ID]; ok {
			if p.Kind != KindRunning || p.Error() != w {
				t.Errorf("got  %s (%s)\nwant %s", p.Error(), p.Kind, w)
			}
			delete(want, p.ID)
		}
	}
	if len(want) != 0 {
		t.Errorf("not refused: %v\n%s", want, r)
	}
	if s := r.Summary(); s != "3 sites already in a running batch, 1 app ID, 1 unknown ID, 1 restore point outside retention" {
		t.Errorf("summary %q", s)
	}
}

func TestCheckAddSitesNamesThisBatch(t *testing.T) {
	q := req("site-deleted-1")
	q.Batch = "incident-42"
	q.Running = RunningFunc(func(context.Context, []string) (map[string]Holder, error) {
		return map[string]Holder{"site-deleted-1": {Batch: "incident-42", Queued: true}}, nil
	})
	_, err := Check(context.Background(), newDir(), q)
	if got := refused(t, err).Problems[0].Error(); got != "site-deleted-1: is queued in running batch incident-42 already (this batch)" {
		t.Errorf("got %s", got)
	}
}

type failingRunning struct{ err error }

func (f failingRunning) RunningBatches(context.Context, []string) (map[string]Holder, error) {
	return nil, f.err
}

func (f failingRunning) DescribeOutage(err error) (string, bool) {
	return "Temporal at temporal.test:7233 is unavailable: could not ask which sites running batches hold", errors.Is(err, f.err)
}

func TestCheckRunningFailureStartsNothing(t *testing.T) {
	q := req("site-deleted-1")
	q.Running = failingRunning{errors.New("rpc error: code = Unavailable")}
	_, err := Check(context.Background(), newDir(), q)
	if _, ok := AsRefused(err); ok || err == nil {
		t.Fatalf("got %v", err)
	}
	if want := "preflight: Temporal at temporal.test:7233 is unavailable: could not ask which sites running batches hold; nothing was started"; err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	// Without a description the cause is named.
	q.Running = RunningFunc(func(context.Context, []string) (map[string]Holder, error) { return nil, errors.New("visibility down") })
	if _, err := Check(context.Background(), newDir(), q); err == nil || !strings.Contains(err.Error(), "visibility down; nothing was started") {
		t.Errorf("got %v", err)
	}
}

// A list without any site never asks Temporal.
func TestCheckAsksRunningOnlyForSites(t *testing.T) {
	q := req("app-1", "nope")
	q.Running = RunningFunc(func(context.Context, []string) (map[string]Holder, error) {
		t.Error("asked about running batches for a list without sites")
		return nil, nil
	})
	_, err := Check(context.Background(), newDir(), q)
	if r := refused(t, err); len(r.Problems) != 2 {
		t.Fatalf("problems %+v", r.Problems)
	}
}

func TestWorkflowExecutionBatch(t *testing.T) {
	for _, tc := range []struct {
		e    workflowExecution
		want string
	}{
		{workflowExecution{id: "lazarus-site-a", batchAttr: "b1", parent: "lazarus-batch-b2"}, "b1"},
		{workflowExecution{id: "lazarus-site-a", parent: "lazarus-batch-b2"}, "b2"},
		{workflowExecution{id: "lazarus-batch-b3"}, "b3"},
		{workflowExecution{id: "lazarus-site-a"}, "(unknown batch)"},
	} {
		if got := tc.e.batch(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.e, got, tc.want)
		}
	}
	safe, unsafe := quotable([]string{"a", "o'brien", `back\slash`, "b"})
	if strings.Join(safe, ",") != "a,b" || len(unsafe) != 2 {
		t.Errorf("safe %v unsafe %v", safe, unsafe)
	}
	if got := quoteWorkflowIDs([]string{"a", "b"}); got != "'lazarus-site-a', 'lazarus-site-b'" {
		t.Errorf("quoted %s", got)
	}
}

var _ platform.Directory = outageDir{}
