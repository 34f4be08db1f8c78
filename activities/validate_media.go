package activities

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/platform/s3media"
)

// The product's own check of a restored site's media (validate.automated):
// the versions current at the restore point under the site's own prefix
// (what media.undelete restores) against the objects current now under the
// target's prefix (the same prefix for Restore 2, the new site's for
// Restore 1 and drills), key by key relative to the prefix, on ETag and
// size. With param product, only the keys under <prefix><product>/. The
// live-traffic rule is the stores' (see validate_stores.go): every object of
// the point must be current and equal; objects written since are allowed
// and counted.

// mediaTally is the comparison of a site's media.
type mediaTally struct {
	prefix  string
	keys    int // at the point
	extra   int // current now, not at the point
	missing []string
	differ  []string
}

// compareMedia compares the site's media at the point with the target's now.
func (a *Activities) compareMedia(ctx context.Context, in contract.StepInput, to, product string, point time.Time) (mediaTally, error) {
	src, dst := a.d.Media.SitePrefix(in.SiteID), a.d.Media.SitePrefix(to)
	if product != "" {
		src += product + "/"
		dst += product + "/"
	}
	tally := mediaTally{prefix: dst}
	cctx, stop := a.keepAlive(ctx, a.d.MediaTimeout, nil)
	defer stop()
	was, err := a.d.Media.History(cctx, src)
	if err != nil {
		return tally, fmt.Errorf("media of site %s at the restore point: %w", in.SiteID, err)
	}
	now := was
	if dst != src {
		if now, err = a.d.Media.History(cctx, dst); err != nil {
			return tally, fmt.Errorf("media of site %s: %w", to, err)
		}
	}
	seen := map[string]bool{}
	for key, es := range was {
		want, ok := s3media.CurrentAt(es, point)
		if !ok {
			continue
		}
		rel := strings.TrimPrefix(key, src)
		seen[rel] = true
		tally.keys++
		got, ok := currentOf(now[dst+rel])
		switch {
		case !ok:
			tally.missing = append(tally.missing, rel)
		case got.ETag != want.ETag || got.Size != want.Size:
			tally.differ = append(tally.differ, rel)
		}
	}
	for key, es := range now {
		if _, ok := currentOf(es); ok && !seen[strings.TrimPrefix(key, dst)] {
			tally.extra++
		}
	}
	sort.Strings(tally.missing)
	sort.Strings(tally.differ)
	return tally, nil
}

// currentOf is a key's current version: its newest entry, unless that is a
// delete marker.
func currentOf(newestFirst []s3media.Entry) (s3media.Entry, bool) {
	if len(newestFirst) == 0 || newestFirst[0].DeleteMarker {
		return s3media.Entry{}, false
	}
	return newestFirst[0], true
}

// problem is the line naming what is wrong with the media ("" when
// nothing is), e.g. "media sites/x/jira/: 1 object missing (of 40; key
// a.png)".
func (t mediaTally) problem() string {
	var what, keys []string
	if n := len(t.missing); n > 0 {
		what = append(what, plural(int64(n), "object")+" missing")
		keys = append(keys, t.missing...)
	}
	if n := len(t.differ); n > 0 {
		verb := "differ"
		if n == 1 {
			verb = "differs"
		}
		what = append(what, fmt.Sprintf("%s %s from the restore point", plural(int64(n), "object"), verb))
		keys = append(keys, t.differ...)
	}
	if len(what) == 0 {
		return ""
	}
	more := ""
	if len(keys) > pitr.MaxKeys {
		keys, more = keys[:pitr.MaxKeys], ", ..."
	}
	return fmt.Sprintf("media %s: %s (of %d; key %s%s)", t.prefix, strings.Join(what, ", "), t.keys, strings.Join(keys, ", "), more)
}
