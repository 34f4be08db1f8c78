package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/lazarus-dr/lazarus/internal/printer"
)

// actionRow is one line of the per-action table.
type actionRow struct {
	Action   string  `text:"ACTION"`
	Count    int     `text:"COUNT,right"`
	P50      float64 `text:"P50 S,right,%.2f"`
	P95      float64 `text:"P95 S,right,%.2f"`
	QueueP50 float64 `text:"QUEUE P50,right,%.2f"`
	QueueP95 float64 `text:"QUEUE P95,right,%.2f"`
	RunP50   float64 `text:"RUN P50,right,%.2f"`
	RunP95   float64 `text:"RUN P95,right,%.2f"`
}

// actionRows are the actions, the slowest (total p95) first.
func actionRows(actions map[string]Action) []actionRow {
	rows := make([]actionRow, 0, len(actions))
	for name, a := range actions {
		rows = append(rows, actionRow{Action: name, Count: a.Count, P50: a.P50, P95: a.P95,
			QueueP50: a.QueueP50, QueueP95: a.QueueP95, RunP50: a.RunP50, RunP95: a.RunP95})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].P95 != rows[j].P95 {
			return rows[i].P95 > rows[j].P95
		}
		return rows[i].Action < rows[j].Action
	})
	return rows
}

// printFigures writes the figures for people: a card, then the per-action table.
func printFigures(w io.Writer, b Bench) error {
	p := printer.New(w, printer.Text)
	if err := p.Card(card(b), printer.CardOptions{Indent: "  "}); err != nil {
		return err
	}
	if len(b.Actions) > 0 {
		p.Printf("\n  Where the restore's time went, per action (seconds; queue: scheduled to started, run: started to closed):\n")
		if err := p.Table(actionRows(b.Actions), printer.TableOptions{Indent: "  "}); err != nil {
			return err
		}
	}
	return p.Err()
}

// card is the figures, one line a subject.
func card(b Bench) printer.Fields {
	var fs printer.Fields
	add := func(name, format string, a ...any) {
		fs = append(fs, printer.Field{Name: name, Value: fmt.Sprintf(format, a...)})
	}
	if b.RestoreSeconds != nil {
		add("restore (demo)", "%s sites in %s s (%s sites/s); %s activities: %s activities/s",
			num(b.RestoreSites), num(b.RestoreSeconds), num(b.RestoreSitesPerSecond), num(b.RestoreActivities), num(b.RestoreActivitiesPerSecond))
		add("restore / no-op", "%s (restore activities/s over the no-op batch's)", num(b.RestoreToNoopRatio))
		add("ETA error at 10%", "%s (|ETA - actual| / actual)", num(b.EtaErrorAt10Pct))
		add("demo worker RSS", "%s peak", mib(b.RestoreWorkerPeakRSSBytes))
		add("demo histories", "%s batch runs, largest %s events, %s; site workflows: %s", num(b.BatchRuns),
			num(b.BatchMaxHistoryEvents), mb(b.BatchMaxHistoryBytes), spread(b.SiteHistoryEvents))
	} else {
		add("restore (demo)", "not measured")
	}
	if b.NoopSites != nil {
		add("no-op Lazarus", "%s sites in %s s: %s activities/s (%s activities)",
			num(b.NoopSites), num(b.NoopSeconds), num(b.NoopActivitiesPerSecond), num(b.NoopActivities))
		add("plain SDK", "%s activities/s; overhead ratio %s (target >= 0.97)", num(b.PlainActivitiesPerSecond), num(b.OverheadRatio))
		add("no-op histories", "%s batch runs, largest %s events, %s; limit hit: %s",
			num(b.NoopBatchRuns), num(b.NoopMaxHistoryEvents), mb(b.NoopMaxHistoryBytes), limitHit(b))
		add("no-op worker RSS", "%s peak (target < 1024 MiB)", mib(b.WorkerPeakRSSBytes))
	} else {
		add("no-op Lazarus", "not measured")
	}
	if b.ExtractionRatio != nil {
		add("PostgreSQL clone", "%s s to recovered and paused", num(b.CloneSeconds))
		add("tenant extraction", "%s rows: direct %s vs plain COPY %s rows/s: ratio %s (target >= 0.8); merge %s rows/s: ratio %s",
			num(b.ExtractionRows), num(b.DirectRowsPerSecond), num(b.PlainCopyRowsPerSecond), num(b.ExtractionRatio),
			num(b.MergeRowsPerSecond), num(b.MergeRatio))
	} else {
		add("tenant extraction", "not measured")
	}
	return fs
}

// num is a figure as text, "-" when not measured.
func num[T int | int64 | float64](x *T) string {
	if x == nil {
		return "-"
	}
	if f, ok := any(*x).(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(*x)
}

// mib is a byte count in MiB.
func mib(x *int64) string {
	if x == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f MiB", float64(*x)/(1<<20))
}

// mb is a byte count in MB.
func mb(x *int) string {
	if x == nil {
		return "- MB"
	}
	return fmt.Sprintf("%.2f MB", float64(*x)/1e6)
}

// spread is a Spread as text: how many, median, maximum.
func spread(s *Spread) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%d, p50 %d events, max %d", s.N, s.P50, s.Max)
}

// limitHit says whether the no-op batch hit a limit, and which.
func limitHit(b Bench) string {
	switch {
	case b.NoopLimitHit == nil:
		return "-"
	case !*b.NoopLimitHit:
		return "no"
	}
	s := "YES"
	for _, l := range b.NoopLimits {
		s += "; " + l
	}
	return s
}
