package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

// Scenario 5: one deleted site's data cannot be restored. The search
// service refuses every request about it with a permanent 422 (the
// sandbox's refuse_sites fault, set through its admin API), so its
// reindex steps fail for good. They must park at once, with a reason that
// names the cause, while the rest of the batch goes on; once every other
// site ended, the operator skips each parked step (`lazarus site skip`),
// which must end the site and the batch.

// refusingService is the service that refuses the site.
const refusingService = "search"

// permanentFacts is what scenario 5 saw (only the goroutine following
// the batch writes it, before the judge reads it).
type permanentFacts struct {
	Site        string
	Parks       map[string]string // step -> reason
	Attempts    map[string]int32  // step -> attempts when parked
	OthersEnded time.Time         // when every other site had ended
	Skips       []string
	LastSkip    time.Time
}

func refuseOneSite(ctx context.Context, r *run) error {
	bad := r.s.sites[r.s.rng.IntN(len(r.s.sites))]
	body, _ := json.Marshal(map[string]any{"refuse_sites": []string{bad}})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, r.s.desc.Services.Admin+"/v1/faults/"+refusingService, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("set the refusal of site %s on %s: %w", bad, refusingService, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("set the refusal of site %s on %s: HTTP %d", bad, refusingService, resp.StatusCode)
	}
	r.fact("permanent", &permanentFacts{Site: bad, Parks: map[string]string{}, Attempts: map[string]int32{}})
	r.note("the %s service refuses site %s for good (HTTP 422): its data cannot be restored", refusingService, bad)
	return nil
}

// skipWhenOthersEnded deals with the refused site's parks: it records
// them, and once every other site ended it skips each parked step.
func skipWhenOthersEnded(ctx context.Context, r *run, pk workflows.ParkedSite, p workflows.BatchProgress) bool {
	f, _ := r.got("permanent").(*permanentFacts)
	if f == nil || pk.SiteID != f.Site {
		return false
	}
	st, err := siteState(ctx, r, f.Site)
	if err != nil {
		return true
	}
	var parked []workflows.StepState
	for _, s := range st.Steps {
		if s.Status == workflows.StepParked {
			parked = append(parked, s)
			if _, seen := f.Parks[s.StepID]; !seen {
				f.Parks[s.StepID], f.Attempts[s.StepID] = s.Error, s.Attempts
				r.note("site %s parked at step %s (attempt %d): %s", f.Site, s.StepID, s.Attempts, oneLine(s.Error, 240))
			}
		}
	}
	if ended(p) < p.SitesTotal-1 {
		return true // the rest of the batch goes on first
	}
	if f.OthersEnded.IsZero() {
		f.OthersEnded = time.Now()
		r.note("every other site ended while site %s was parked", f.Site)
	}
	for _, s := range parked {
		sent, err := r.decide(ctx, "skip", f.Site, s.StepID, "chaos: the site's data cannot be restored")
		if !sent {
			continue
		}
		if err == nil {
			f.Skips, f.LastSkip = append(f.Skips, s.StepID), time.Now()
		}
		r.note("operator: lazarus site skip %s %s (%s)", f.Site, s.StepID, errText(err))
	}
	return true
}

// siteState queries a site's state.
func siteState(ctx context.Context, r *run, site string) (workflows.SiteState, error) {
	var st workflows.SiteState
	v, err := r.s.tc.QueryWorkflow(ctx, workflows.SiteWorkflowID(site), "", workflows.QuerySiteState)
	if err != nil {
		return st, err
	}
	return st, v.Get(&st)
}

func judgePermanent(_ context.Context, r *run) {
	f, _ := r.got("permanent").(*permanentFacts)
	if f == nil {
		r.fail("no site was made unrestorable")
		return
	}
	if len(f.Parks) == 0 {
		r.fail("site %s never parked on its permanent failure", f.Site)
	}
	for step, reason := range f.Parks {
		if !strings.Contains(reason, refusingService) || !strings.Contains(reason, "422") {
			r.fail("the park of site %s at %s does not name its cause (the %s service, HTTP 422): %q", f.Site, step, refusingService, reason)
		}
	}
	if f.OthersEnded.IsZero() {
		r.fail("the rest of the batch did not end while site %s was parked", f.Site)
	}
	if len(f.Skips) == 0 {
		r.fail("the operator's skip was never accepted for site %s", f.Site)
	}
	if r.result == nil {
		return
	}
	others := 0
	for _, s := range r.result.Sites {
		if s.SiteID == f.Site {
			r.note("site %s ended %s: %s", f.Site, s.Outcome, oneLine(strings.Join(s.Errors, "; "), 300))
			if !strings.Contains(strings.Join(s.Errors, " "), "skipped by "+Operator) {
				r.fail("the result of site %s does not report the operator's skip: %v", f.Site, s.Errors)
			}
			continue
		}
		if s.Outcome == workflows.SiteRestored && r.verdict.Verified[s.SiteID] {
			others++
		}
	}
	if n := len(r.s.sites) - 1; others != n {
		r.fail("%d of the %d other sites restored and verified", others, n)
	}
	if !f.LastSkip.IsZero() && r.result.EndedAt.Sub(f.LastSkip) > r.cfg.MaxRecovery {
		r.fail("the batch ended %s after the operator's last skip (at most %s)", r.result.EndedAt.Sub(f.LastSkip).Round(time.Second), r.cfg.MaxRecovery)
	}
}
