package chaos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/workflows"
)

// Scenario 6: `lazarus batch cancel` once about a third of the site
// steps are done. The batch must end with its point-in-time clones removed (no
// clone's PostgreSQL process or folder left) and every site that is not
// fully back reported as such in its result: no half-restored tenant left
// unreported.
func cancelMidBatch(ctx context.Context, r *run) {
	if !waitForProgress(ctx, r, 0.3, 3*time.Minute) {
		return
	}
	p := r.lastProgress()
	if err := r.b.cancel(context.WithoutCancel(ctx)); err != nil {
		r.fail("lazarus batch cancel: %v", err)
		return
	}
	r.fact("cancelled", ended(p) < len(r.s.sites))
	r.note("lazarus batch cancel %s: %d sites ended, %d running, %d queued", r.b.id, ended(p),
		p.SitesByStatus[workflows.SiteRunning], p.SitesByStatus[workflows.SiteQueued])
}

func judgeCancel(ctx context.Context, r *run) {
	if ok, _ := r.got("cancelled").(bool); !ok {
		r.fail("the batch was not cancelled while sites were still being restored")
	}
	if left := r.clonesLeft(ctx, time.Minute); len(left) > 0 {
		r.fail("clones left after the cancelled batch ended: %v", left)
	}
	if r.result == nil {
		r.fail("no result of the cancelled batch: its sites' state is unreported")
		return
	}
	outcome := map[string]string{}
	for _, s := range r.result.Sites {
		outcome[s.SiteID] = s.Outcome
	}
	counts := map[string]int{}
	half := 0
	for _, site := range r.s.sites {
		out, reported := outcome[site]
		verified := r.verdict.Verified[site]
		switch {
		case !reported:
			r.fail("site %s is in no outcome of the batch result (verified: %v)", site, verified)
		case out == workflows.SiteRestored && !verified:
			r.fail("site %s is reported restored but does not verify: %s", site, damagedText(verdict{Damaged: map[string][]platform.StoreDiff{site: r.verdict.Damaged[site]}}))
		case !verified && partlyBack(r.verdict.Damaged[site]):
			half++
		}
		counts[out]++
	}
	r.note("after the cancel: outcomes %v; %d sites half-restored, each reported as not restored", counts, half)
}

// partlyBack says whether some of a damaged site's stores match their truth.
func partlyBack(diffs []platform.StoreDiff) bool {
	for _, d := range diffs {
		if d.Match {
			return true
		}
	}
	return false
}

// clonesLeft waits up to d for every point-in-time clone to be gone, and
// lists what is left: folders in the clusters' scratch folders, and
// processes running from them.
func (r *run) clonesLeft(ctx context.Context, d time.Duration) []string {
	deadline := time.Now().Add(d)
	for {
		var left []string
		for _, cl := range r.s.desc.Clusters {
			if cl.ScratchDir == "" {
				continue
			}
			entries, _ := os.ReadDir(cl.ScratchDir)
			for _, e := range entries {
				if e.IsDir() {
					left = append(left, "folder "+filepath.Join(cl.ScratchDir, e.Name()))
				}
			}
			for _, pid := range processesUnder(cl.ScratchDir) {
				left = append(left, fmt.Sprintf("process %d (%s)", pid, cl.ScratchDir))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) || !sleep(ctx, 2*time.Second) {
			return left
		}
	}
}

// processesUnder lists the live processes whose command line names a path
// under dir (a clone's postgres -D <dir>/<clone>).
func processesUnder(dir string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	needle := []byte(filepath.Clean(dir) + string(filepath.Separator))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(raw, needle) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && zombie(stat) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// zombie reads a /proc/PID/stat line's state.
func zombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}
