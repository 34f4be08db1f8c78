package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays histories recorded on a real dev
// server (go run ./workflows/internal/record): a change that breaks
// determinism fails here. Each generation of the code that running
// batches may have recorded keeps its own files: batch_run_* and
// site_park_retry_gate (before the handover adopted running sites),
// batch_adopt_* and site_reports_end (handover-adopts-running-sites,
// site-reports-end), batch_resend_* (handover-resends-lead), batch_watch_*
// (batch-child-watcher), batch_settle_* (handover-settles) and
// batch_bounded_* (bounded-child-starts).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d recorded histories in testdata, want at least 4 (site + 3 batch runs)", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			Register(r)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
