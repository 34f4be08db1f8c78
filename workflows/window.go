package workflows

import (
	"slices"
	"time"
)

// window is a batch's sliding window as plain data: the queue of sites not
// started yet, the sites running (started by this run, or adopted from an
// earlier run of the batch), every site the batch knows, and which of them
// have a result. It makes no workflow calls: the batch starts the children
// that it takes from the queue (batch_window.go).
type window struct {
	queue    []Site
	running  map[string]*child
	order    []string // running site IDs in start order (deterministic iteration)
	recorded map[string]bool
	known    map[string]bool
}

// child is a running site.
type child struct {
	site      Site
	round     int
	inRun     bool // started by this run (else adopted from an earlier one)
	startedAt time.Time
	blocked   string    // "", SiteEventParked or SiteEventWaiting
	since     time.Time // when it became blocked
	// started is true once the server confirmed the child's start; lead
	// statuses that end before that wait in late (a signal to a child not
	// started yet would be lost).
	started bool
	late    []LeadStatus
	// vars are the lead values the site was started with.
	vars   map[string]string
	stepID string
	reason string
}

func newWindow() *window {
	return &window{running: map[string]*child{}, recorded: map[string]bool{}, known: map[string]bool{}}
}

// enqueue puts sites at the end of the queue.
func (w *window) enqueue(sites ...Site) {
	for _, s := range sites {
		w.known[s.SiteID] = true
	}
	w.queue = append(w.queue, sites...)
}

// hasResult marks a site as finished (a result carried from an earlier run).
func (w *window) hasResult(siteID string) {
	w.known[siteID] = true
	w.recorded[siteID] = true
}

// adopt takes over a site that an earlier run started and that was still
// running (or blocked on a human) when that run continued as new.
func (w *window) adopt(bs BlockedSite) {
	w.known[bs.SiteID] = true
	c := &child{site: Site{SiteID: bs.SiteID, Runbook: bs.Runbook, DeletedAt: bs.DeletedAt, RestorePoint: bs.RestorePoint, Users: bs.Users},
		startedAt: bs.StartedAt, blocked: bs.Kind, stepID: bs.StepID, reason: bs.Reason, since: bs.Since, round: bs.Round}
	if bs.Kind == SiteRunning {
		c.blocked = ""
	}
	w.running[bs.SiteID] = c
	w.order = append(w.order, bs.SiteID)
}

// adopted lists the running sites as the next run adopts them (not those
// whose start is unconfirmed: see unconfirmed).
func (w *window) adopted() []BlockedSite {
	var out []BlockedSite
	for _, id := range w.order {
		c := w.running[id]
		if c.inRun && !c.started {
			continue
		}
		kind := c.blocked
		if kind == "" {
			kind = SiteRunning
		}
		bs := BlockedSite{SiteID: id, StepID: c.stepID, Reason: c.reason, Kind: kind, StartedAt: c.startedAt,
			Since: c.since, Runbook: c.site.Runbook}
		if c.blocked == SiteEventParked {
			bs.Round, bs.DeletedAt, bs.RestorePoint, bs.Users = c.round, c.site.DeletedAt, c.site.RestorePoint, c.site.Users
		}
		out = append(out, bs)
	}
	return out
}

// load counts the running sites that hold a place in the window (not
// blocked on a human), and the running sites this run started.
func (w *window) load() (active, inRun int) {
	for _, id := range w.order {
		c := w.running[id]
		if c.blocked == "" {
			active++
		}
		if c.inRun {
			inRun++
		}
	}
	return active, inRun
}

// begin takes the head of the queue and marks it running, started by this run.
func (w *window) begin(round int, now time.Time) *child {
	site := w.queue[0]
	w.queue = w.queue[1:]
	c := &child{site: site, round: round, inRun: true, startedAt: now}
	w.running[site.SiteID] = c
	w.order = append(w.order, site.SiteID)
	return c
}

// finish records that a site has its result. It returns the site's child
// if it was running, and first=false if the site already had a result.
func (w *window) finish(siteID string) (c *child, first bool) {
	if w.recorded[siteID] {
		return nil, false
	}
	w.recorded[siteID] = true
	return w.release(siteID), true
}

// release takes a running site out of the window without recording it
// (a switch starts it again): nil when it is not running.
func (w *window) release(siteID string) *child {
	c, ok := w.running[siteID]
	if !ok {
		return nil
	}
	delete(w.running, siteID)
	for i, id := range w.order {
		if id == siteID {
			w.order = append(w.order[:i:i], w.order[i+1:]...)
			break
		}
	}
	return c
}

// block records what a running site told its batch: parked, waiting at a
// gate (kind), or moving again (kind "").
func (w *window) block(siteID, kind, stepID, reason string, at time.Time) bool {
	c, ok := w.running[siteID]
	if !ok {
		return false
	}
	if kind != c.blocked || stepID != c.stepID {
		c.since = at
	}
	c.blocked, c.stepID, c.reason = kind, stepID, reason
	return true
}

// moving says whether a site this run started is still running and not
// blocked on a human.
func (w *window) moving() bool {
	for _, id := range w.order {
		if c := w.running[id]; c.inRun && c.blocked == "" {
			return true
		}
	}
	return false
}

// unconfirmed takes out of the window the sites this run started whose
// start the server has not confirmed, in start order.
func (w *window) unconfirmed() []*child {
	var out []*child
	for _, id := range w.order {
		if c := w.running[id]; c.inRun && !c.started {
			out = append(out, c)
		}
	}
	for _, c := range out {
		delete(w.running, c.site.SiteID)
		w.order = slices.DeleteFunc(w.order, func(id string) bool { return id == c.site.SiteID })
	}
	return out
}

// unconfirmedCount counts the sites this run started whose start is not
// confirmed yet (unconfirmed without taking them out).
func (w *window) unconfirmedCount() int {
	n := 0
	for _, id := range w.order {
		if c := w.running[id]; c.inRun && !c.started {
			n++
		}
	}
	return n
}

// starting says whether a site this run started is not confirmed started yet.
func (w *window) starting() bool { return w.unconfirmedCount() > 0 }

// count counts the running sites blocked in a way (SiteEventParked,
// SiteEventWaiting, or "" for moving).
func (w *window) count(blocked string) int {
	n := 0
	for _, id := range w.order {
		if w.running[id].blocked == blocked {
			n++
		}
	}
	return n
}

// empty: nothing queued and nothing running.
func (w *window) empty() bool { return len(w.queue) == 0 && len(w.running) == 0 }
