package main

import (
	"encoding/json"
	"io"
	"time"
)

// `batch watch -o json`: one JSON object a refresh (JSON lines), for
// programs and dashboards; the same counts the bars show.

// progressSnapshot is one refresh of `batch watch -o json`.
type progressSnapshot struct {
	At            time.Time        `json:"at"`
	Batch         string           `json:"batch"`
	Status        string           `json:"status"`   // the batch's: running, paused, cancelling, done
	Workflow      string           `json:"workflow"` // the workflow's: running, completed, ...
	SitesTotal    int              `json:"sites_total"`
	SitesByStatus map[string]int   `json:"sites_by_status"`
	Steps         snapshotCount    `json:"steps"`
	Stages        []snapshotCount  `json:"stages"`
	Parked        []snapshotSite   `json:"parked"`
	Waiting       []snapshotSite   `json:"waiting"`
	ETASeconds    float64          `json:"eta_seconds,omitempty"`
	Note          string           `json:"note,omitempty"`
	Outcome       *snapshotOutcome `json:"outcome,omitempty"`
}

// snapshotCount is a count of steps: of finished sites, done in running
// sites, and the total.
type snapshotCount struct {
	Stage    string `json:"stage,omitempty"`
	Finished int    `json:"finished"`
	Running  int    `json:"running"`
	Total    int    `json:"total"`
}

// snapshotSite is a site blocked on a human.
type snapshotSite struct {
	SiteID     string  `json:"site_id"`
	StepID     string  `json:"step_id"`
	Reason     string  `json:"reason"`
	AgeSeconds float64 `json:"age_seconds,omitempty"`
}

// snapshotOutcome is the last object: how the batch ended.
type snapshotOutcome struct {
	Restored int            `json:"restored"`
	Sites    int            `json:"sites"`
	ByStatus map[string]int `json:"by_status"`
}

func countJSON(c stepCount) snapshotCount {
	return snapshotCount{Stage: c.Stage, Finished: c.Finished, Running: c.Running, Total: c.Total}
}

func sitesJSON(bs []blockedSite) []snapshotSite {
	out := make([]snapshotSite, 0, len(bs))
	for _, b := range bs {
		out = append(out, snapshotSite{SiteID: b.SiteID, StepID: b.StepID, Reason: b.Reason, AgeSeconds: b.Age.Seconds()})
	}
	return out
}

// snapshot is the view as one JSON object.
func (v progressView) snapshot() progressSnapshot {
	parked, waiting := v.blocked()
	s := progressSnapshot{At: v.Now.UTC(), Batch: v.P.BatchID, Status: v.P.Status, Workflow: v.Status,
		SitesTotal: v.P.SitesTotal, SitesByStatus: v.P.SitesByStatus, Steps: countJSON(v.steps()),
		Parked: sitesJSON(parked), Waiting: sitesJSON(waiting), ETASeconds: v.P.ETA.Seconds(), Note: v.Note}
	for _, c := range v.stages() {
		s.Stages = append(s.Stages, countJSON(c))
	}
	return s
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
