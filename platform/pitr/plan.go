package pitr

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
)

// Defaults of the restore-point policy (the incident's: 5 minutes before each
// site's deletion, and no site more than 5 minutes earlier than its own point).
const (
	DefaultOffset    = 5 * time.Minute
	DefaultTolerance = 5 * time.Minute
)

// PlanSite is one site to restore.
type PlanSite struct {
	SiteID string
	// DeletedAt is when the site was deleted (may be zero if RestorePoint is set).
	DeletedAt time.Time
	// RestorePoint is the point the site should get; zero means
	// DeletedAt minus the plan's Offset.
	RestorePoint time.Time
}

// PlanInput is the input of PlanClones.
type PlanInput struct {
	Sites []PlanSite
	// Tolerance: no site gets a point more than this before its own
	// restore point (0 = DefaultTolerance; negative is an error).
	Tolerance time.Duration
	// Offset: restore point = deletion - Offset where a site has none
	// (0 = DefaultOffset).
	Offset time.Duration
	// Earliest, when set, is the earliest restorable point (the oldest
	// backup's end, or now minus retention); Latest, when set, the latest
	// (now). Sites whose restore point falls outside are refused.
	Earliest, Latest time.Time
}

// PlannedClone is one clone of the plan.
type PlannedClone struct {
	// Point is the clone's recovery target (microsecond precision, as
	// PostgreSQL's recovery_target_time).
	Point time.Time `json:"point"`
	// Sites are the sites it serves, sorted.
	Sites []string `json:"sites"`
}

// SiteAssignment says which clone serves a site and what point it gets.
type SiteAssignment struct {
	SiteID string `json:"site_id"`
	// RestorePoint is the point the site asked for.
	RestorePoint time.Time `json:"restore_point"`
	// Point is the point it actually gets (<= RestorePoint, >= RestorePoint - tolerance).
	Point time.Time `json:"point"`
	// Clone is the index of its clone in ClonePlan.Clones.
	Clone int `json:"clone"`
	// ExtraLoss is RestorePoint - Point: data loss beyond the policy's.
	ExtraLoss time.Duration `json:"extra_loss"`
}

// ClonePlan is PlanClones' answer.
type ClonePlan struct {
	Tolerance time.Duration    `json:"tolerance"`
	Clones    []PlannedClone   `json:"clones"`
	Sites     []SiteAssignment `json:"sites"` // in input order
}

// Site returns the assignment of one site.
func (p ClonePlan) Site(siteID string) (SiteAssignment, bool) {
	for _, s := range p.Sites {
		if s.SiteID == siteID {
			return s, true
		}
	}
	return SiteAssignment{}, false
}

// PlanClones chooses as few clone points as possible so that every site gets
// a point p with RestorePoint - Tolerance <= p <= RestorePoint (never later
// than its own restore point, hence never later than its deletion).
//
// This is interval point cover: each site is the interval
// [RestorePoint - Tolerance, RestorePoint]. Sorting by right end (the restore
// point) and placing a clone at the first uncovered site's restore point,
// which then serves every site whose restore point lies within Tolerance
// after it, is optimal (the classic exchange argument), and each clone is as
// late as its earliest site allows. Input errors (every one of them) are
// reported before anything is planned.
func PlanClones(in PlanInput) (ClonePlan, error) {
	tol := in.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	off := in.Offset
	if off == 0 {
		off = DefaultOffset
	}
	var errs *multierror.Error
	if tol < time.Microsecond {
		errs = multierror.Append(errs, fmt.Errorf("tolerance %s is below PostgreSQL's precision of 1µs", tol))
	}
	if off < 0 {
		errs = multierror.Append(errs, fmt.Errorf("offset %s is negative", off))
	}
	if len(in.Sites) == 0 {
		errs = multierror.Append(errs, fmt.Errorf("no sites to plan clones for"))
	}
	type item struct {
		idx int
		id  string
		rp  time.Time
	}
	items := make([]item, 0, len(in.Sites))
	seen := map[string]bool{}
	for i, s := range in.Sites {
		if strings.TrimSpace(s.SiteID) == "" {
			errs = multierror.Append(errs, fmt.Errorf("sites[%d]: site ID is empty", i))
			continue
		}
		if seen[s.SiteID] {
			errs = multierror.Append(errs, fmt.Errorf("site %s: listed twice", s.SiteID))
			continue
		}
		seen[s.SiteID] = true
		rp := s.RestorePoint
		if rp.IsZero() {
			if s.DeletedAt.IsZero() {
				errs = multierror.Append(errs, fmt.Errorf("site %s: neither a restore point nor a deletion time", s.SiteID))
				continue
			}
			rp = s.DeletedAt.Add(-off)
		}
		if !s.DeletedAt.IsZero() && rp.After(s.DeletedAt) {
			errs = multierror.Append(errs, fmt.Errorf("site %s: restore point %s is after its deletion at %s",
				s.SiteID, rp.UTC().Format(time.RFC3339Nano), s.DeletedAt.UTC().Format(time.RFC3339Nano)))
			continue
		}
		if !in.Earliest.IsZero() && rp.Before(in.Earliest) {
			errs = multierror.Append(errs, fmt.Errorf("site %s: restore point %s is before the earliest restorable point %s (outside retention or before the oldest backup)",
				s.SiteID, rp.UTC().Format(time.RFC3339Nano), in.Earliest.UTC().Format(time.RFC3339Nano)))
			continue
		}
		if !in.Latest.IsZero() && rp.After(in.Latest) {
			errs = multierror.Append(errs, fmt.Errorf("site %s: restore point %s is after the latest restorable point %s",
				s.SiteID, rp.UTC().Format(time.RFC3339Nano), in.Latest.UTC().Format(time.RFC3339Nano)))
			continue
		}
		items = append(items, item{idx: i, id: s.SiteID, rp: rp.UTC()})
	}
	if err := errs.ErrorOrNil(); err != nil {
		return ClonePlan{}, fmt.Errorf("plan clones: %w", err)
	}
	sorted := append([]item(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].rp.Equal(sorted[j].rp) {
			return sorted[i].rp.Before(sorted[j].rp)
		}
		return sorted[i].id < sorted[j].id
	})
	plan := ClonePlan{Tolerance: tol}
	assign := make(map[string]SiteAssignment, len(items))
	for k := 0; k < len(sorted); {
		// PostgreSQL's recovery_target_time has microseconds: round down so
		// the point never passes the site's restore point.
		point := sorted[k].rp.Truncate(time.Microsecond)
		clone := PlannedClone{Point: point}
		for ; k < len(sorted) && !sorted[k].rp.After(point.Add(tol)); k++ {
			s := sorted[k]
			clone.Sites = append(clone.Sites, s.id)
			assign[s.id] = SiteAssignment{SiteID: s.id, RestorePoint: s.rp, Point: point,
				Clone: len(plan.Clones), ExtraLoss: s.rp.Sub(point)}
		}
		sort.Strings(clone.Sites)
		plan.Clones = append(plan.Clones, clone)
	}
	for _, it := range items {
		plan.Sites = append(plan.Sites, assign[it.id])
	}
	return plan, nil
}
