package preflight

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// Problem is one refused ID (or, with no ID, a problem of the whole list).
type Problem struct {
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
	// Kind classifies the problem (the Kind* constants).
	Kind string `json:"kind"`
	// Suggestion is the known ID an unknown one differs from only in
	// letter case.
	Suggestion string `json:"suggestion,omitempty"`
}

// Error is the problem in one line, the ID first.
func (p Problem) Error() string {
	if p.ID == "" {
		return p.Reason
	}
	return fmt.Sprintf("%s: %s", display(p.ID), p.Reason)
}

// Problem kinds, in the order a summary lists kinds of equal counts.
const (
	KindAppID          = "app-id"
	KindUnknown        = "unknown"
	KindLetterCase     = "letter-case"
	KindLive           = "live"
	KindRunning        = "running"
	KindDuplicate      = "duplicate"
	KindMalformed      = "malformed"
	KindEmpty          = "empty"
	KindRetention      = "retention"
	KindBeforeBackup   = "before-backup"
	KindOutsideWindow  = "outside-window"
	KindFuture         = "future"
	KindNoDeletionTime = "no-deletion-time"
	KindTooMany        = "too-many"
)

// kindNames are the words of a summary: one, many.
var kindNames = map[string][2]string{
	KindAppID:          {"app ID", "app IDs"},
	KindUnknown:        {"unknown ID", "unknown IDs"},
	KindLetterCase:     {"ID in the wrong letter case", "IDs in the wrong letter case"},
	KindLive:           {"live site", "live sites"},
	KindRunning:        {"site already in a running batch", "sites already in a running batch"},
	KindDuplicate:      {"duplicate", "duplicates"},
	KindMalformed:      {"malformed ID", "malformed IDs"},
	KindEmpty:          {"empty ID", "empty IDs"},
	KindRetention:      {"restore point outside retention", "restore points outside retention"},
	KindBeforeBackup:   {"restore point before the oldest backup", "restore points before the oldest backup"},
	KindOutsideWindow:  {"restore point outside a restorable window", "restore points outside a restorable window"},
	KindFuture:         {"deletion time in the future", "deletion times in the future"},
	KindNoDeletionTime: {"site without a deletion time", "sites without a deletion time"},
	KindTooMany:        {"list too long", "lists too long"},
}

var kindOrder = []string{KindAppID, KindUnknown, KindLetterCase, KindLive, KindRunning, KindDuplicate, KindMalformed,
	KindEmpty, KindRetention, KindBeforeBackup, KindOutsideWindow, KindFuture, KindNoDeletionTime, KindTooMany}

// Shown is how many problems a refusal prints in full; the rest are
// counted in the summary, and `--json` prints every one.
const Shown = 50

// Refused is the error of a list that did not pass: every problem, in the
// order of the IDs given (those found before the lookup first).
type Refused struct {
	Problems []Problem
}

// Error is the refusal with the first Shown problems in full.
func (r *Refused) Error() string { return r.Text(Shown) }

// Text is the refusal: a headline with the summary, then the first shown
// problems one a line (all of them when shown <= 0), then how many more.
func (r *Refused) Text(shown int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "preflight refused the list: %s; no workflow started", r.Summary())
	for i, p := range r.Problems {
		if shown > 0 && i == shown {
			fmt.Fprintf(&b, "\n  ... and %d more (--json prints every problem)", len(r.Problems)-shown)
			break
		}
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Counts is how many problems of each kind there are.
func (r *Refused) Counts() map[string]int {
	counts := map[string]int{}
	for _, p := range r.Problems {
		counts[p.Kind]++
	}
	return counts
}

// Summary counts the problems by kind in words, most frequent first:
// "12 unknown IDs, 3 app IDs, 2 live sites".
func (r *Refused) Summary() string {
	counts := r.Counts()
	rank := map[string]int{}
	for i, k := range kindOrder {
		rank[k] = i + 1
	}
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		a, b := kinds[i], kinds[j]
		if counts[a] != counts[b] {
			return counts[a] > counts[b]
		}
		if rank[a] != rank[b] {
			return rank[a] < rank[b]
		}
		return a < b
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		names, ok := kindNames[k]
		if !ok {
			names = [2]string{k, k}
		}
		name := names[1]
		if counts[k] == 1 {
			name = names[0]
		}
		parts[i] = fmt.Sprintf("%d %s", counts[k], name)
	}
	return strings.Join(parts, ", ")
}

// Multi returns the problems as a go-multierror, for callers that collect
// errors that way.
func (r *Refused) Multi() *multierror.Error {
	var m *multierror.Error
	for _, p := range r.Problems {
		m = multierror.Append(m, p)
	}
	return m
}

// Report is a refusal as a document for programs (`--json`): every problem.
type Report struct {
	Refused  bool           `json:"refused"`
	Summary  string         `json:"summary"`
	Counts   map[string]int `json:"counts"`
	Problems []Problem      `json:"problems"`
}

// Report is the refusal as a document for programs.
func (r *Refused) Report() Report {
	return Report{Refused: true, Summary: r.Summary(), Counts: r.Counts(), Problems: r.Problems}
}
