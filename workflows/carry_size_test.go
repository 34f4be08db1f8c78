package workflows

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// TestCarryAndResultFor10000SitesFitPayload checks that a batch of 10,000
// sites stays under Temporal's 2 MB payload limit at its largest: the
// carry halfway (5,000 results, 5,000 pending with their clone values) and
// the final result.
func TestCarryAndResultFor10000SitesFitPayload(t *testing.T) {
	const n, limit = 10000, 2 << 20
	rp := time.Date(2026, 4, 5, 7, 33, 12, 123456789, time.UTC)
	all := uuidSites(n, rp)
	carry := halfwayCarry(all, rp)
	in := RestoreBatchInput{BatchID: "incident-2026-04-05", Plan: plan(step("a", "a")), MaxConcurrentSites: 200, Carry: &carry}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > limit {
		t.Fatalf("carry halfway through 10,000 sites is %d bytes, over 2 MB", len(b))
	}
	r, _ := json.Marshal(restoredBatch(all, rp, false))
	if len(r) > limit {
		t.Fatalf("result of 10,000 sites is %d bytes, over 2 MB", len(r))
	}
	f, _ := json.Marshal(restoredBatch(all[:MaxSitesWithTimes], rp, true))
	if len(f) > limit/2+limit/4 {
		t.Fatalf("result of %d sites with end times is %d bytes", MaxSitesWithTimes, len(f))
	}
	t.Logf("10,000 sites: carry halfway %d bytes, result %d bytes; %d sites with end times: %d bytes", len(b), len(r), MaxSitesWithTimes, len(f))
}

// uuidSites returns n sites with 36-character IDs, like UUIDs.
func uuidSites(n int, rp time.Time) []Site {
	all := make([]Site, n)
	for i := range all {
		all[i] = Site{SiteID: fmt.Sprintf("3f2c9a1e-5b7d-4e0f-9a2b-%012d", i), DeletedAt: rp.Add(5 * time.Minute), RestorePoint: rp, Users: 120}
	}
	return all
}

// keptResult is what batchRun.record keeps of a site (end times only up to
// MaxSitesWithTimes sites, withEnd).
func keptResult(s Site, rp time.Time, withEnd bool) SiteResult {
	r := SiteResult{SiteID: s.SiteID, Outcome: SiteRestored, RestorePoint: s.RestorePoint,
		Duration: 11*time.Hour + 1234567890, Users: s.Users}
	if withEnd {
		r.DeletedAt = s.DeletedAt
		r.EndedAt = rp.Add(30 * time.Hour).Truncate(time.Second)
	}
	return r
}

// halfwayCarry is the carry with the first half of all done and the rest
// pending, spread over five clones' values.
func halfwayCarry(all []Site, rp time.Time) BatchCarry {
	carry := BatchCarry{StartedAt: rp, Runs: 12, SiteLead: map[string]int{}, SiteRound: map[string]int{}}
	for i := 0; i < 5; i++ {
		carry.LeadTable = append(carry.LeadTable, map[string]string{
			"clone.jira.dsn": fmt.Sprintf("postgres://lazarus@127.0.0.1:5433/jira?host=/tmp/clone-%d", i),
			"restore_point":  rp.Format(time.RFC3339Nano)})
	}
	for i, s := range all {
		if i < len(all)/2 {
			carry.Results = append(carry.Results, keptResult(s, rp, false))
			continue
		}
		carry.Pending = append(carry.Pending, s)
		carry.SiteLead[s.SiteID] = i % 5
	}
	return carry
}

// restoredBatch is the batch's result with every site of restored restored.
func restoredBatch(restored []Site, rp time.Time, withEnd bool) BatchResult {
	res := BatchResult{BatchID: "incident-2026-04-05", Runbook: "restore2"}
	for _, s := range restored {
		res.Sites = append(res.Sites, keptResult(s, rp, withEnd))
	}
	return res
}
