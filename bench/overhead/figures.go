package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"
)

// figures are what -json writes: the no-op Lazarus batch (noop_*), the
// plain SDK program and their ratio (null when a program did not run),
// the batch runs' history sizes, whether a limit was hit, and this
// process's peak RSS (the Lazarus worker runs in it).
type figures struct {
	Sites      int    `json:"noop_sites"`
	Window     int    `json:"window"`
	Runs       int    `json:"runs"`
	Runbook    string `json:"runbook"`
	Activities int    `json:"noop_activities"`
	// Server says what the programs ran on.
	Server string `json:"server"`

	NoopSeconds              *float64 `json:"noop_seconds"`
	NoopActivitiesPerSecond  *float64 `json:"noop_activities_per_second"`
	PlainSeconds             *float64 `json:"plain_seconds"`
	PlainActivitiesPerSecond *float64 `json:"plain_activities_per_second"`
	// OverheadRatio is Lazarus's throughput over the plain program's.
	OverheadRatio *float64 `json:"overhead_ratio"`
	// SiteEvents and PlainSiteEvents are the mean history events per site
	// workflow of each program (siteevents.go).
	SiteEvents      *float64 `json:"noop_site_events"`
	PlainSiteEvents *float64 `json:"plain_site_events"`

	BatchRuns            *int     `json:"noop_batch_runs"`
	MaxHistoryEvents     *int     `json:"noop_max_history_events"`
	MaxHistoryBytes      *int     `json:"noop_max_history_bytes"`
	WorkflowTaskFailures *int     `json:"noop_workflow_task_failures"`
	WorkflowTaskTimeouts *int     `json:"noop_workflow_task_timeouts"`
	LimitHit             *bool    `json:"noop_limit_hit"`
	Limits               []string `json:"noop_limits,omitempty"`
	// Error is why the Lazarus program failed, if it did.
	Error string `json:"noop_error,omitempty"`

	// WorkerPeakRSSBytes is VmHWM read after each Lazarus run (the largest
	// reading): the Lazarus program runs first, so with -runs 1 the plain
	// program's memory is not in it.
	WorkerPeakRSSBytes *int64 `json:"worker_peak_rss_bytes"`
}

// write writes the figures to path as indented JSON.
func (f *figures) write(path string) error {
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the figures: %w", err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write -json %s: %w", path, err)
	}
	return nil
}

// ptr is a pointer to v, for a figure that was measured.
func ptr[T any](v T) *T { return &v }

// fill sets the figures from the measurements (zero: not measured).
func (f *figures) fill(acts int, bestL, bestP time.Duration, lim limits, rss int64) {
	if bestL > 0 {
		f.NoopSeconds, f.NoopActivitiesPerSecond = ptr(round(bestL.Seconds())), ptr(round(float64(acts)/bestL.Seconds()))
	}
	if bestP > 0 {
		f.PlainSeconds, f.PlainActivitiesPerSecond = ptr(round(bestP.Seconds())), ptr(round(float64(acts)/bestP.Seconds()))
	}
	if bestL > 0 && bestP > 0 {
		f.OverheadRatio = ptr(round(bestP.Seconds() / bestL.Seconds()))
	}
	if lim.Runs > 0 || len(lim.Hit) > 0 {
		f.BatchRuns, f.MaxHistoryEvents, f.MaxHistoryBytes = ptr(lim.Runs), ptr(lim.MaxEvents), ptr(lim.MaxBytes)
		f.WorkflowTaskFailures, f.WorkflowTaskTimeouts = ptr(lim.TaskFailures), ptr(lim.TaskTimeouts)
		f.LimitHit, f.Limits = ptr(len(lim.Hit) > 0), lim.Hit
	}
	if rss > 0 {
		f.WorkerPeakRSSBytes = ptr(rss)
	}
}

// round rounds x to 3 decimals.
func round(x float64) float64 { return math.Round(x*1000) / 1000 }
