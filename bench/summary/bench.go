package main

import (
	"math"

	"github.com/lazarus-dr/lazarus/chaos"
)

// Bench is out/bench.json: every figure of `make bench`, flat, so that a
// script can compare two runs. A figure that was not measured (its bench
// skipped, as the restore's with BENCH_DEMO=0) is null.
type Bench struct {
	// The demo's restore phase (Restore 2 on the sandbox).
	RestoreSites               *int64   `json:"restore_sites"`
	RestoreSeconds             *float64 `json:"restore_seconds"`
	RestoreSitesPerSecond      *float64 `json:"restore_sites_per_second"`
	RestoreActivities          *int     `json:"restore_activities"`
	RestoreActivitiesPerSecond *float64 `json:"restore_activities_per_second"`
	// RestoreToNoopRatio is restore_activities_per_second over
	// noop_activities_per_second: how much of the orchestration's pace the
	// real activities leave.
	RestoreToNoopRatio *float64 `json:"restore_to_noop_ratio"`
	EtaErrorAt10Pct    *float64 `json:"eta_error_at_10pct"`
	// RestoreWorkerPeakRSSBytes is the demo's worker process's peak RSS.
	RestoreWorkerPeakRSSBytes *int64 `json:"restore_worker_peak_rss_bytes"`
	// Actions are the demo batch's activity executions by action.
	Actions               map[string]Action `json:"actions"`
	SiteHistoryEvents     *Spread           `json:"site_history_events"`
	BatchRuns             *int              `json:"batch_runs"`
	BatchMaxHistoryEvents *int              `json:"batch_max_history_events"`
	BatchMaxHistoryBytes  *int              `json:"batch_max_history_bytes"`

	// The no-op batch (bench/overhead) and the plain SDK program.
	NoopSites                *int     `json:"noop_sites"`
	NoopSeconds              *float64 `json:"noop_seconds"`
	NoopActivities           *int     `json:"noop_activities"`
	NoopActivitiesPerSecond  *float64 `json:"noop_activities_per_second"`
	PlainActivitiesPerSecond *float64 `json:"plain_activities_per_second"`
	OverheadRatio            *float64 `json:"overhead_ratio"`
	NoopBatchRuns            *int     `json:"noop_batch_runs"`
	NoopMaxHistoryEvents     *int     `json:"noop_max_history_events"`
	NoopMaxHistoryBytes      *int     `json:"noop_max_history_bytes"`
	NoopLimitHit             *bool    `json:"noop_limit_hit"`
	NoopLimits               []string `json:"noop_limits,omitempty"`
	NoopError                string   `json:"noop_error,omitempty"`
	// WorkerPeakRSSBytes is the no-op batch's worker's peak RSS (it runs
	// in the bench's process).
	WorkerPeakRSSBytes *int64 `json:"worker_peak_rss_bytes"`

	// PostgreSQL tenant extraction (pitrbench).
	ExtractionRatio        *float64 `json:"extraction_ratio"`
	ExtractionRows         *int     `json:"extraction_rows"`
	CloneSeconds           *float64 `json:"clone_seconds"`
	PlainCopyRowsPerSecond *float64 `json:"plain_copy_rows_per_second"`
	DirectRowsPerSecond    *float64 `json:"direct_rows_per_second"`
	MergeRowsPerSecond     *float64 `json:"merge_rows_per_second"`
	MergeRatio             *float64 `json:"merge_ratio"`
}

// Action is one action's times, as lazarus-chaos observe measured them
// from the histories; Spread a count's median and maximum.
type (
	Action = chaos.ActionStats
	Spread = chaos.Spread
)

// combine puts the inputs' figures together and derives the rates and
// ratios that need two of them.
func combine(in inputs) (Bench, error) {
	var b Bench
	if o := in.overhead; o != nil {
		b.NoopSites, b.NoopActivities = &o.Sites, &o.Activities
		b.NoopSeconds, b.NoopActivitiesPerSecond = o.NoopSeconds, o.NoopActivitiesPerSecond
		b.PlainActivitiesPerSecond, b.OverheadRatio = o.PlainActivitiesPerSecond, o.OverheadRatio
		b.NoopBatchRuns, b.NoopMaxHistoryEvents, b.NoopMaxHistoryBytes = o.BatchRuns, o.MaxHistoryEvents, o.MaxHistoryBytes
		b.NoopLimitHit, b.NoopLimits, b.NoopError = o.LimitHit, o.Limits, o.Error
		b.WorkerPeakRSSBytes = o.WorkerPeakRSSBytes
	}
	if p := in.pitr; p != nil {
		b.ExtractionRatio, b.ExtractionRows, b.CloneSeconds = p.ExtractionRatio, &p.Rows, p.CloneSeconds
		b.PlainCopyRowsPerSecond, b.DirectRowsPerSecond = p.PlainRowsPerSecond, p.DirectRowsPerSecond
		b.MergeRowsPerSecond, b.MergeRatio = p.MergeRowsPerSecond, p.MergeRatio
	}
	if d := in.demo; d != nil {
		var err error
		if b.RestoreSites, err = d.int("SITES"); err != nil {
			return b, err
		}
		if b.RestoreSeconds, err = d.float("RESTORE_SECONDS"); err != nil {
			return b, err
		}
		if b.RestoreSitesPerSecond, err = d.float("RESTORE_SITES_PER_SECOND"); err != nil {
			return b, err
		}
		if b.EtaErrorAt10Pct, err = d.float("ETA_ERROR_AT_10PCT"); err != nil {
			return b, err
		}
		if b.RestoreWorkerPeakRSSBytes, err = d.int("WORKER_PEAK_RSS_BYTES"); err != nil {
			return b, err
		}
		if b.RestoreSitesPerSecond == nil && b.RestoreSites != nil && positive(b.RestoreSeconds) {
			b.RestoreSitesPerSecond = ratio(float64(*b.RestoreSites), *b.RestoreSeconds)
		}
	}
	if w := in.waits; w != nil {
		b.Actions, b.RestoreActivities, b.SiteHistoryEvents = w.Actions, w.Activities, w.SiteHistoryEvents
		b.BatchRuns, b.BatchMaxHistoryEvents, b.BatchMaxHistoryBytes = w.BatchRuns, w.BatchMaxHistoryEvents, w.BatchMaxHistoryBytes
	}
	if b.RestoreActivities != nil && positive(b.RestoreSeconds) {
		b.RestoreActivitiesPerSecond = ratio(float64(*b.RestoreActivities), *b.RestoreSeconds)
	}
	if b.RestoreActivitiesPerSecond != nil && positive(b.NoopActivitiesPerSecond) {
		b.RestoreToNoopRatio = ratio(*b.RestoreActivitiesPerSecond, *b.NoopActivitiesPerSecond)
	}
	return b, nil
}

// positive says whether x was measured and is above zero.
func positive(x *float64) bool { return x != nil && *x > 0 }

// ratio is a / b rounded to 3 decimals.
func ratio(a, b float64) *float64 {
	r := math.Round(a/b*1000) / 1000
	return &r
}
