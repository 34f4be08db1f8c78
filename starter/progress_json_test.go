package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

// batch watch -o json: one object a line, with the bars' counts (the
// running sites' steps apart), the blocked sites and their age.
func TestWatchSnapshotIsOneJSONLine(t *testing.T) {
	now := time.Date(2026, 11, 29, 21, 0, 0, 0, time.UTC)
	v := progressView{Status: "running", Now: now, P: workflows.BatchProgress{
		BatchID: "b1", Status: "running", SitesTotal: 3, SitesByStatus: map[string]int{"running": 2, "parked": 1},
		StepsTotal: 12, StepsDone: 4, StepsTotalByStage: map[string]int{"catalog": 3, "data": 9}, StepsDoneByStage: map[string]int{"catalog": 1, "data": 3},
		Parked: []workflows.ParkedSite{{SiteID: "s1", StepID: "restore-db", Reason: "shard down", Kind: workflows.SiteParked, Since: now.Add(-90 * time.Second)}},
		ETA:    2 * time.Minute,
	}}
	var b bytes.Buffer
	if err := writeJSONLine(&b, v.snapshot()); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "\n") != 1 {
		t.Fatalf("want one line, got %q", b.String())
	}
	var got progressSnapshot
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	if got.Batch != "b1" || got.Steps.Finished != 4 || got.Steps.Total != 12 || len(got.Stages) != 2 ||
		got.Stages[0] != (snapshotCount{Stage: "catalog", Finished: 1, Total: 3}) || got.ETASeconds != 120 {
		t.Fatalf("snapshot %+v", got)
	}
	if len(got.Parked) != 1 || got.Parked[0].SiteID != "s1" || got.Parked[0].AgeSeconds != 90 || got.Parked[0].Reason != "shard down" {
		t.Fatalf("parked %+v", got.Parked)
	}
}
