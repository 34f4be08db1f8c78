// Package report turns a batch's result into the incident-communication
// shape, for the coordinators, support and the customers' status page: a
// short customer-facing status (restored so far, expected data loss, next
// update), what happened, who is affected, the percentage of sites and of
// users restored, per-site restore point and expected data loss with its
// confidence, which runbook each site ran, and the timeline with who did what
// (the operators' steering actions); rendered as Markdown (with a Mermaid
// gantt of the batch's phases), JSON or HTML (with an SVG Gantt chart of
// every site's steps). It also renders a DR drill's report (drill_*.go).
//
// It must never talk to Temporal or the platform: it renders what it is given.
package report

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

// Confidence levels of a site's expected data loss.
const (
	// ConfidenceHigh: the site is restored and the automated validation
	// compared it with the platform (front door and data checks) and passed.
	ConfidenceHigh = "high"
	// ConfidenceMedium: the site is restored but its validation step did not
	// run to completion (skipped by an operator, or absent from the runbook).
	ConfidenceMedium = "medium"
	// ConfidenceLow: the site is not restored (yet): the figure is the
	// policy's target, not a measured fact.
	ConfidenceLow = "low"
)

// ValidationAction is the action whose success raises the confidence.
const ValidationAction = "validate.automated"

// Options shape a report.
type Options struct {
	// Title defaults to "Restore of N sites (batch ID)".
	Title string
	// WorkflowURL is the Temporal Web UI link of the batch.
	WorkflowURL string
	// UIBase is the Web UI's namespace URL (…/namespaces/default); when set,
	// each site links to its workflow.
	UIBase string
	// GanttMaxSites caps the sites drawn in the Gantt chart (the slowest
	// first); 0 means 60.
	GanttMaxSites int
	// GeneratedAt defaults to time.Now().
	GeneratedAt time.Time
	// NextUpdate is when the customer status promises the next update,
	// from GeneratedAt (the CLI's --next-update); 0 means DefaultNextUpdate.
	// A batch that ended with every site restored gets a final status
	// instead.
	NextUpdate time.Duration
	// Lead are the batch-scoped steps (the clones), round by round, as the
	// batch-progress query returns them (BatchProgress.Lead): the Mermaid
	// gantt draws them. The batch result does not carry them.
	Lead []workflows.LeadRound
}

// Report is the rendered content, also the JSON format.
type Report struct {
	Title       string    `json:"title"`
	BatchID     string    `json:"batch_id"`
	Runbook     string    `json:"runbook"`
	GeneratedAt time.Time `json:"generated_at"`
	WorkflowURL string    `json:"workflow_url,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at,omitempty"`
	Summary     Summary   `json:"summary"`
	// WhatHappened is a few sentences for the status page.
	WhatHappened []string `json:"what_happened"`
	// Status is the short customer-facing status text (status.go).
	Status CustomerStatus `json:"customer_status"`
	// ContactsCommand lists the people to tell: each affected site's admins.
	ContactsCommand string `json:"contacts_command"`
	// Runbooks are the runbooks the sites ran, by name: more than one when
	// the batch was switched mid-incident (runbooks.go).
	Runbooks []RunbookCount `json:"runbooks"`
	Sites    []SiteLine     `json:"sites"`
	Timeline []Event        `json:"timeline"`
	// Phases are the batch's phases, bounded whatever the number of
	// sites: what the Markdown's Mermaid gantt draws (phases.go).
	Phases []Phase `json:"phases"`

	uiBase string
	gantt  []workflows.SiteResult
	nGantt int
}

// Summary is the headline numbers.
type Summary struct {
	SitesTotal    int            `json:"sites_total"`
	SitesRestored int            `json:"sites_restored"`
	PctSites      float64        `json:"pct_sites_restored"`
	UsersTotal    int            `json:"users_total"`
	UsersRestored int            `json:"users_restored"`
	PctUsers      float64        `json:"pct_users_restored"`
	Outcomes      map[string]int `json:"outcomes"`
	// FirstDeletion and LastDeletion bound the incident's deletions.
	FirstDeletion time.Time `json:"first_deletion,omitempty"`
	LastDeletion  time.Time `json:"last_deletion,omitempty"`
	// DataLoss figures over every site (deleted_at - restore point).
	DataLossMin    time.Duration `json:"data_loss_min"`
	DataLossMedian time.Duration `json:"data_loss_median"`
	DataLossMax    time.Duration `json:"data_loss_max"`
	// Restore duration figures over restored sites.
	RestoreMedian time.Duration `json:"restore_median"`
	RestoreMax    time.Duration `json:"restore_max"`
	// Elapsed is the batch's wall time (start to end, or to GeneratedAt).
	Elapsed time.Duration `json:"elapsed"`
}

// SiteLine is one site's row.
type SiteLine struct {
	SiteID  string `json:"site_id"`
	Outcome string `json:"outcome"`
	// Runbook is the runbook the site ran (the batch's when the result
	// does not say).
	Runbook      string    `json:"runbook"`
	Users        int       `json:"users"`
	DeletedAt    time.Time `json:"deleted_at"`
	RestorePoint time.Time `json:"restore_point"`
	// ExpectedDataLoss is DeletedAt - RestorePoint: what was written in that
	// window is not brought back.
	ExpectedDataLoss time.Duration `json:"expected_data_loss"`
	Confidence       string        `json:"confidence"`
	ConfidenceWhy    string        `json:"confidence_why"`
	StartedAt        time.Time     `json:"started_at,omitempty"`
	EndedAt          time.Time     `json:"ended_at,omitempty"`
	Duration         time.Duration `json:"duration,omitempty"`
	Errors           []string      `json:"errors,omitempty"`
}

// Event is one line of the timeline.
type Event struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
	// Operator and Action are set on an operator's steering action.
	Operator string `json:"operator,omitempty"`
	Action   string `json:"action,omitempty"`
}

// Build computes the report of a batch result.
func Build(res workflows.BatchResult, opts Options) Report {
	gen := opts.GeneratedAt
	if gen.IsZero() {
		gen = time.Now()
	}
	r := Report{
		BatchID: res.BatchID, Runbook: res.Runbook, GeneratedAt: gen.UTC(),
		WorkflowURL: opts.WorkflowURL, StartedAt: res.StartedAt, EndedAt: res.EndedAt,
		uiBase: opts.UIBase,
	}
	r.Title = opts.Title
	if r.Title == "" {
		r.Title = fmt.Sprintf("Restore of %d deleted sites (batch %s)", len(res.Sites), res.BatchID)
	}
	s := Summary{Outcomes: map[string]int{}}
	var losses, durations []time.Duration
	for _, site := range res.Sites {
		line := SiteLine{
			SiteID: site.SiteID, Outcome: site.Outcome, Runbook: siteRunbook(site, res.Runbook), Users: site.Users,
			DeletedAt: site.DeletedAt, RestorePoint: site.RestorePoint,
			StartedAt: site.StartedAt, EndedAt: site.EndedAt, Duration: site.Duration,
			Errors: site.Errors,
		}
		if line.Duration == 0 && !site.StartedAt.IsZero() && !site.EndedAt.IsZero() {
			line.Duration = site.EndedAt.Sub(site.StartedAt)
		}
		if !site.DeletedAt.IsZero() && !site.RestorePoint.IsZero() {
			line.ExpectedDataLoss = site.DeletedAt.Sub(site.RestorePoint)
			losses = append(losses, line.ExpectedDataLoss)
		}
		line.Confidence, line.ConfidenceWhy = confidence(site)
		s.SitesTotal++
		s.UsersTotal += site.Users
		s.Outcomes[site.Outcome]++
		if site.Outcome == workflows.SiteRestored {
			s.SitesRestored++
			s.UsersRestored += site.Users
			durations = append(durations, line.Duration)
		}
		if !site.DeletedAt.IsZero() {
			if s.FirstDeletion.IsZero() || site.DeletedAt.Before(s.FirstDeletion) {
				s.FirstDeletion = site.DeletedAt
			}
			if site.DeletedAt.After(s.LastDeletion) {
				s.LastDeletion = site.DeletedAt
			}
		}
		r.Sites = append(r.Sites, line)
	}
	s.PctSites = pct(s.SitesRestored, s.SitesTotal)
	s.PctUsers = pct(s.UsersRestored, s.UsersTotal)
	s.DataLossMin, s.DataLossMedian, s.DataLossMax = spread(losses)
	_, s.RestoreMedian, s.RestoreMax = spread(durations)
	end := res.EndedAt
	if end.IsZero() {
		end = gen
	}
	if !res.StartedAt.IsZero() {
		s.Elapsed = end.Sub(res.StartedAt)
	}
	r.Summary = s
	// Not restored first, then by site ID: the rows a reader acts on on top.
	sort.SliceStable(r.Sites, func(i, j int) bool {
		ri, rj := r.Sites[i].Outcome == workflows.SiteRestored, r.Sites[j].Outcome == workflows.SiteRestored
		if ri != rj {
			return !ri
		}
		return r.Sites[i].SiteID < r.Sites[j].SiteID
	})
	r.Runbooks = runbookCounts(r.Sites)
	r.WhatHappened = whatHappened(r)
	r.Timeline = timeline(res, s)
	r.Status = customerStatus(r, opts.NextUpdate)
	r.ContactsCommand = contactsCommand(res.BatchID)
	r.Phases = phases(res, opts.Lead, gen)
	r.nGantt = opts.GanttMaxSites
	if r.nGantt <= 0 {
		r.nGantt = 60
	}
	r.gantt = ganttSites(res.Sites, r.nGantt)
	return r
}

func confidence(site workflows.SiteResult) (string, string) {
	if site.Outcome != workflows.SiteRestored {
		return ConfidenceLow, fmt.Sprintf("site is %s: the figure is the policy's target, not yet a fact", site.Outcome)
	}
	for _, st := range site.Steps {
		if st.Action == ValidationAction {
			if st.Status == workflows.StepDone {
				return ConfidenceHigh, "restored and validated against the platform (front door and data checks)"
			}
			return ConfidenceMedium, fmt.Sprintf("restored, but validation step %s is %s", st.StepID, st.Status)
		}
	}
	return ConfidenceMedium, "restored; the runbook has no automated validation"
}

func pct(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(n) / float64(total)
}

func spread(ds []time.Duration) (lo, median, hi time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[0], s[len(s)/2], s[len(s)-1]
}

func whatHappened(r Report) []string {
	s := r.Summary
	var out []string
	if !s.FirstDeletion.IsZero() {
		out = append(out, fmt.Sprintf("%d sites (%d users) were deleted between %s and %s UTC.",
			s.SitesTotal, s.UsersTotal, s.FirstDeletion.UTC().Format("2006-01-02 15:04"), s.LastDeletion.UTC().Format("15:04")))
	}
	out = append(out, fmt.Sprintf("Lazarus restored %d of %d sites (%.1f%%) and %d of %d users (%.1f%%) with %s, in %s.",
		s.SitesRestored, s.SitesTotal, s.PctSites, s.UsersRestored, s.UsersTotal, s.PctUsers, runbooksPhrase(r), roundDur(s.Elapsed)))
	if s.SitesTotal > 0 {
		out = append(out, fmt.Sprintf("Each site is restored to one point in time before its own deletion: expected data loss %s to %s (median %s).",
			roundDur(s.DataLossMin), roundDur(s.DataLossMax), roundDur(s.DataLossMedian)))
	}
	if n := s.SitesTotal - s.SitesRestored; n > 0 {
		out = append(out, fmt.Sprintf("%d sites are not restored yet (%s); they are listed first below.", n, outcomeList(s.Outcomes)))
	}
	return out
}

func outcomeList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != workflows.SiteRestored {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%d %s", m[k], k)
	}
	return out
}

func timeline(res workflows.BatchResult, s Summary) []Event {
	var ev []Event
	if !s.FirstDeletion.IsZero() {
		ev = append(ev, Event{At: s.FirstDeletion, What: "first site deleted"})
		ev = append(ev, Event{At: s.LastDeletion, What: fmt.Sprintf("last site deleted (%d in all)", s.SitesTotal)})
	}
	if !res.StartedAt.IsZero() {
		ev = append(ev, Event{At: res.StartedAt, What: fmt.Sprintf("restore batch %s started (runbook %s)", res.BatchID, res.Runbook)})
	}
	for _, site := range res.Sites {
		if site.Outcome != workflows.SiteRestored && site.Outcome != workflows.SiteRunning && site.Outcome != workflows.SiteQueued && !site.EndedAt.IsZero() {
			ev = append(ev, Event{At: site.EndedAt, What: fmt.Sprintf("site %s %s", site.SiteID, site.Outcome)})
		}
	}
	ev = append(ev, restoredMarks(res.Sites)...)
	ev = append(ev, actionEvents(res.Actions)...)
	ev = append(ev, decisionEvents(res.Sites)...)
	if !res.EndedAt.IsZero() {
		ev = append(ev, Event{At: res.EndedAt, What: "batch ended"})
	}
	// Stable: events at the same instant keep the order above, and the
	// actions their order in the result (oldest first).
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	return ev
}

// restoredMarks are the milestones of the restored sites: the first, 50%
// and 90% of all the sites, and the last restored so far.
func restoredMarks(sites []workflows.SiteResult) []Event {
	var ends []time.Time
	for _, site := range sites {
		if site.Outcome == workflows.SiteRestored && !site.EndedAt.IsZero() {
			ends = append(ends, site.EndedAt)
		}
	}
	if len(ends) == 0 {
		return nil
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i].Before(ends[j]) })
	ev := []Event{{At: ends[0], What: "first site restored"}}
	for _, p := range []int{50, 90} {
		need := (len(sites)*p + 99) / 100
		if need >= 1 && need <= len(ends) {
			ev = append(ev, Event{At: ends[need-1], What: fmt.Sprintf("%d%% of sites restored", p)})
		}
	}
	return append(ev, Event{At: ends[len(ends)-1], What: fmt.Sprintf("last site restored (%d)", len(ends))})
}

// ganttSites picks the sites drawn in the Gantt: the slowest n that have
// step times, then ordered by start.
func ganttSites(sites []workflows.SiteResult, n int) []workflows.SiteResult {
	var with []workflows.SiteResult
	for _, s := range sites {
		for _, st := range s.Steps {
			if !st.StartedAt.IsZero() {
				with = append(with, s)
				break
			}
		}
	}
	sort.SliceStable(with, func(i, j int) bool { return siteSpan(with[i]) > siteSpan(with[j]) })
	if len(with) > n {
		with = with[:n]
	}
	sort.SliceStable(with, func(i, j int) bool {
		a, _ := stepBounds(with[i])
		b, _ := stepBounds(with[j])
		if a.Equal(b) {
			return with[i].SiteID < with[j].SiteID
		}
		return a.Before(b)
	})
	return with
}

func stepBounds(s workflows.SiteResult) (start, end time.Time) {
	for _, st := range s.Steps {
		if st.StartedAt.IsZero() {
			continue
		}
		if start.IsZero() || st.StartedAt.Before(start) {
			start = st.StartedAt
		}
		e := st.EndedAt
		if e.IsZero() {
			e = st.StartedAt
		}
		if e.After(end) {
			end = e
		}
	}
	return start, end
}

func siteSpan(s workflows.SiteResult) time.Duration {
	a, b := stepBounds(s)
	return b.Sub(a)
}

func roundDur(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// Formats.
const (
	FormatMarkdown = "md"
	FormatHTML     = "html"
	FormatJSON     = "json"
)

// Render writes r in format (md, html or json).
func Render(w io.Writer, format string, r Report) error {
	switch format {
	case FormatMarkdown, "markdown":
		return Markdown(w, r)
	case FormatHTML:
		return HTML(w, r)
	case FormatJSON:
		return JSON(w, r)
	default:
		return fmt.Errorf("report format %q: want md, html or json", format)
	}
}
