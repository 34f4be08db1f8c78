package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/sandbox"
)

// verdict is what `lazarus sandbox verify` found after a scenario.
type verdict struct {
	// Verified lists the deleted sites that match their truth.
	Verified map[string]bool
	// Damaged lists the deleted sites that do not, with their differences.
	Damaged map[string][]platform.StoreDiff
	// Duplicated counts rows beyond the truth in any store of a deleted
	// site or of another tenant.
	Duplicated int64
	// OthersChanged counts the other tenants that differ from their
	// earlier state plus their traffic, and the live sites nobody explains.
	OthersChanged int
	Report        sandbox.VerifyReport
}

// verify runs `lazarus sandbox verify -o json` over the deleted sites (it
// exits 1 when anything differs) and keeps its report in the scenario's
// folder.
func (s *stack) verify(ctx context.Context) (verdict, error) {
	v := verdict{Verified: map[string]bool{}, Damaged: map[string][]platform.StoreDiff{}}
	o, err := s.lazarus(ctx, "sandbox", "verify", "--state", s.sbDir, "--ids-file", s.sitesFile, "-o", "json")
	if err != nil {
		return v, err
	}
	if o.Code != 0 && o.Code != 1 {
		return v, fmt.Errorf("lazarus sandbox verify: exit %d:\n%s", o.Code, tail([]byte(o.text()), 20))
	}
	_ = os.WriteFile(filepath.Join(s.dir, "verify.json"), []byte(o.Stdout), 0o644)
	if err := json.Unmarshal([]byte(o.Stdout), &v.Report); err != nil {
		return v, fmt.Errorf("lazarus sandbox verify -o json: %w:\n%s", err, tail([]byte(o.text()), 20))
	}
	for _, sr := range v.Report.Sites {
		if sr.OK {
			v.Verified[sr.SiteID] = true
		} else {
			v.Damaged[sr.SiteID] = sr.Stores
		}
		v.Duplicated += extraRows(sr.Stores)
	}
	for _, sr := range v.Report.OthersDamaged {
		v.Duplicated += extraRows(sr.Stores)
	}
	v.OthersChanged = len(v.Report.OthersDamaged) + len(v.Report.NewTenants)
	return v, nil
}

// rowCountDiff is how the sandbox's verification words a table whose row
// count differs from its truth (sandbox/fingerprint.go, diffStore).
var rowCountDiff = regexp.MustCompile(`(\S+): (\d+) rows now, (\d+) in truth`)

// extraRows counts the rows a site's stores hold beyond their truth: rows
// written twice, since every tenant table is keyed by site and row ID and
// the truth already accounts for the live traffic.
func extraRows(diffs []platform.StoreDiff) int64 {
	var n int64
	for _, d := range diffs {
		if d.Match {
			continue
		}
		for _, m := range rowCountDiff.FindAllStringSubmatch(d.Diff, -1) {
			now, _ := strconv.ParseInt(m[2], 10, 64)
			truth, _ := strconv.ParseInt(m[3], 10, 64)
			if now > truth {
				n += now - truth
			}
		}
	}
	return n
}
