package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

// errText says how a command went: accepted, or its error on one line.
func errText(err error) string {
	if err == nil {
		return "accepted"
	}
	return oneLine(err.Error(), 200)
}

// measure reads the recovery waits (before anything else touches a batch
// that did not end), stops what still runs, and verifies.
func (r *run) measure(ctx context.Context) {
	end := time.Now()
	waits, err := r.b.batchWaits(ctx, end, r.sampler)
	if err != nil {
		r.fail("recovery waits: %v", err)
	}
	r.recordWaits(waits)
	if !r.closed {
		r.stopBatch(ctx)
	}
	if r.closed {
		if res, err := r.b.result(ctx); err != nil {
			r.fail("batch result: %v", err)
		} else {
			r.result = &res
			for _, s := range res.Sites {
				if s.Outcome == workflows.SiteRestored {
					r.row.Restored++
				}
			}
		}
	}
	if r.s.traffic != nil {
		_ = r.s.traffic.stop(syscall.SIGINT, 15*time.Second)
		r.note("traffic: %s", oneLine(tail(readFile(r.s.traffic.logPath), 1), 200))
	}
	if _, err := r.s.must(ctx, "sandbox", "faults", "clear", "--state", r.s.sbDir); err != nil {
		r.fail("faults clear: %v", err)
	}
	v, err := r.s.verify(ctx)
	if err != nil {
		r.fail("verify: %v", err)
		return
	}
	r.verdict = v
	r.row.Verified, r.row.Duplicated, r.row.OthersChanged = len(v.Verified), v.Duplicated, v.OthersChanged
}

// recordWaits keeps the longest recovery wait that counts in the row, a
// note on the upper bounds that do not, and the longest fifty in
// waits.json.
func (r *run) recordWaits(waits []Wait) {
	bounds := 0
	for _, w := range waits {
		if !w.counts() {
			if bounds++; bounds == 1 {
				r.note("%d retried steps had no earlier attempt seen (quick errors); their waits from scheduling, queueing included, do not count; the longest: %s %s",
					countBounds(waits), w.Took.Round(100*time.Millisecond), w)
			}
			continue
		}
		if r.row.WaitAt == "" {
			r.row.LongestWait = w.Took.Round(100 * time.Millisecond)
			r.row.WaitAt = w.String()
		}
	}
	if raw, err := json.MarshalIndent(waits[:min(len(waits), 50)], "", "  "); err == nil {
		_ = os.WriteFile(filepath.Join(r.s.dir, "waits.json"), raw, 0o644)
	}
}

func countBounds(waits []Wait) int {
	n := 0
	for _, w := range waits {
		if !w.counts() {
			n++
		}
	}
	return n
}

// stopBatch cancels a batch that did not end in time, and terminates it
// when it does not end within Config.StopGrace more.
func (r *run) stopBatch(ctx context.Context) {
	if err := r.b.cancel(ctx); err != nil {
		r.note("batch cancel after the timeout: %v", errText(err))
	}
	for deadline := time.Now().Add(r.cfg.StopGrace); time.Now().Before(deadline) && sleep(ctx, 2*time.Second); {
		if closed, err := r.b.closed(ctx); err == nil && closed {
			r.closed = true
			return
		}
	}
	err := r.s.tc.TerminateWorkflow(ctx, r.b.wid, "", "chaos: the batch did not end in time")
	r.note("batch terminated after the timeout (%v)", errText(err))
}

// judge applies what every scenario requires.
func (r *run) judge() {
	n := len(r.s.sites)
	if !r.sc.partial {
		if r.row.Restored != n {
			r.fail("%d of %d sites restored", r.row.Restored, n)
		}
		if r.row.Verified != n {
			r.fail("%d of %d sites verified (damaged: %s)", r.row.Verified, n, damagedText(r.verdict))
		}
	}
	if r.row.Duplicated != 0 {
		r.fail("%d rows duplicated", r.row.Duplicated)
	}
	if r.row.OthersChanged != 0 {
		r.fail("%d other tenants changed", r.row.OthersChanged)
	}
	if r.row.LongestWait > r.row.WaitBound {
		r.fail("a step waited %s for recovery (at most %s): %s", r.row.LongestWait, r.row.WaitBound, r.row.WaitAt)
	}
}

// damagedText names a few damaged sites and their first difference.
func damagedText(v verdict) string {
	out, i := "", 0
	for site, diffs := range v.Damaged {
		if i == 3 {
			return out + fmt.Sprintf(", and %d more", len(v.Damaged)-3)
		}
		d := "not restored"
		for _, x := range diffs {
			if !x.Match {
				d = x.Store + ": " + x.Diff
				break
			}
		}
		if i > 0 {
			out += ", "
		}
		out += site + " (" + oneLine(d, 120) + ")"
		i++
	}
	if out == "" {
		return "none"
	}
	return out
}

func readFile(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// noteStuck notes, for up to five sites still running, the steps they
// have not done and why (a step waiting for the batch, running, parked).
func (r *run) noteStuck(ctx context.Context) {
	wids, err := r.b.runningSites(ctx)
	if err != nil {
		r.note("running sites: %v", err)
		return
	}
	for i, wid := range wids {
		if i == 5 {
			r.note("and %d more sites still running", len(wids)-5)
			return
		}
		site := strings.TrimPrefix(wid, "lazarus-site-")
		st, err := siteState(ctx, r, site)
		if err != nil {
			r.note("site %s still running: %v", site, err)
			continue
		}
		var open []string
		for _, step := range st.Steps {
			if step.Status == workflows.StepDone || step.Status == workflows.StepSkipped {
				continue
			}
			if step.Status == workflows.StepPending && step.Message == "" {
				continue // not ready yet: it waits for the steps it needs
			}
			open = append(open, fmt.Sprintf("%s %s (%s)", step.StepID, step.Status, oneLine(step.Message+" "+step.Error, 100)))
		}
		r.note("site %s still running, stage %s: %s", site, st.Stage, strings.Join(open, "; "))
	}
}
