package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// overheadFile is what `bench/overhead -json` writes (the fields read here).
type overheadFile struct {
	Sites                    int      `json:"noop_sites"`
	Activities               int      `json:"noop_activities"`
	NoopSeconds              *float64 `json:"noop_seconds"`
	NoopActivitiesPerSecond  *float64 `json:"noop_activities_per_second"`
	PlainSeconds             *float64 `json:"plain_seconds"`
	PlainActivitiesPerSecond *float64 `json:"plain_activities_per_second"`
	OverheadRatio            *float64 `json:"overhead_ratio"`
	BatchRuns                *int     `json:"noop_batch_runs"`
	MaxHistoryEvents         *int     `json:"noop_max_history_events"`
	MaxHistoryBytes          *int     `json:"noop_max_history_bytes"`
	LimitHit                 *bool    `json:"noop_limit_hit"`
	Limits                   []string `json:"noop_limits"`
	Error                    string   `json:"noop_error"`
	WorkerPeakRSSBytes       *int64   `json:"worker_peak_rss_bytes"`
}

// pitrFile is what `pitrbench -json` writes.
type pitrFile struct {
	Rows                int      `json:"extraction_rows"`
	CloneSeconds        *float64 `json:"clone_seconds"`
	PlainRowsPerSecond  *float64 `json:"plain_copy_rows_per_second"`
	DirectRowsPerSecond *float64 `json:"direct_rows_per_second"`
	MergeRowsPerSecond  *float64 `json:"merge_rows_per_second"`
	ExtractionRatio     *float64 `json:"extraction_ratio"`
	MergeRatio          *float64 `json:"merge_ratio"`
}

// waitsFile is what `lazarus-chaos observe --json` writes in the demo
// (the fields read here: each action's times and the histories' sizes).
type waitsFile struct {
	Actions               map[string]Action `json:"actions"`
	Activities            *int              `json:"activities"`
	SiteHistoryEvents     *Spread           `json:"site_history_events"`
	BatchRuns             *int              `json:"batch_runs"`
	BatchMaxHistoryEvents *int              `json:"batch_max_history_events"`
	BatchMaxHistoryBytes  *int              `json:"batch_max_history_bytes"`
}

// demoSummary is out/demo-summary.txt: KEY=value lines, a value perhaps
// in double quotes; an empty value is no value.
type demoSummary struct {
	path string
	vals map[string]string
}

// inputs are the files read; a nil one was not given or not found.
type inputs struct {
	overhead *overheadFile
	pitr     *pitrFile
	waits    *waitsFile
	demo     *demoSummary
}

// readJSON decodes the JSON file path into v; found is false when path is
// empty or the file does not exist.
func readJSON(path string, v any) (found bool, err error) {
	if path == "" {
		return false, nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("%s: not the JSON expected: %w", path, err)
	}
	return true, nil
}

// readDemoSummary reads the demo's KEY=value summary; nil when path is
// empty or the file does not exist.
func readDemoSummary(path string) (*demoSummary, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	d := &demoSummary{path: path, vals: map[string]string{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s line %d: %q: want KEY=value", path, n, line)
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		d.vals[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return d, nil
}

// float is the number under key (nil when absent or empty).
func (d *demoSummary) float(key string) (*float64, error) {
	v := d.vals[key]
	if v == "" {
		return nil, nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, fmt.Errorf("%s: %s=%s: not a number", d.path, key, v)
	}
	return &x, nil
}

// int is the whole number under key (nil when absent or empty).
func (d *demoSummary) int(key string) (*int64, error) {
	v := d.vals[key]
	if v == "" {
		return nil, nil
	}
	x, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%s: %s=%s: not a whole number", d.path, key, v)
	}
	return &x, nil
}
