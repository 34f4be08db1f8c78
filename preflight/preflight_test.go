package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

var now = time.Date(2022, 4, 5, 9, 0, 0, 0, time.UTC)

// fakeDir answers from a map; it records every lookup. With max set it
// refuses a lookup of more IDs, as the catalog does over its cap.
type fakeDir struct {
	mu      sync.Mutex
	infos   map[string]platform.IDInfo
	err     error
	max     int
	lookups [][]string
}

func (f *fakeDir) LookupIDs(_ context.Context, ids []string) ([]platform.IDInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, append([]string(nil), ids...))
	if f.err != nil {
		return nil, f.err
	}
	if f.max > 0 && len(ids) > f.max {
		return nil, fmt.Errorf("HTTP 400: %d IDs, at most %d per lookup", len(ids), f.max)
	}
	var out []platform.IDInfo
	for _, id := range ids {
		if info, ok := f.infos[id]; ok {
			out = append(out, info)
		} else {
			out = append(out, platform.IDInfo{ID: id, Kind: platform.KindUnknown})
		}
	}
	return out, nil
}

func newDir() *fakeDir {
	return &fakeDir{infos: map[string]platform.IDInfo{
		"site-deleted-1": {ID: "site-deleted-1", Kind: platform.KindSite, Status: "deleted",
			DeletedAt: time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC), Users: 120, URL: "acme.example.net"},
		"site-deleted-2": {ID: "site-deleted-2", Kind: platform.KindSite, Status: "deleted",
			DeletedAt: time.Date(2022, 4, 5, 8, 1, 0, 0, time.UTC), Users: 7},
		"site-live": {ID: "site-live", Kind: platform.KindSite, Status: "active", URL: "live.example.net"},
		"app-1":     {ID: "app-1", Kind: platform.KindApp, Status: "active", SiteID: "site-live", AppName: "Timesheets"},
		"site-old": {ID: "site-old", Kind: platform.KindSite, Status: "deleted",
			DeletedAt: now.Add(-40 * 24 * time.Hour)},
	}}
}

func refused(t *testing.T, err error) *Refused {
	t.Helper()
	r, ok := AsRefused(err)
	if !ok {
		t.Fatalf("want *Refused, got %v", err)
	}
	return r
}

func req(ids ...string) Request {
	return Request{IDs: ids, RestoreOffset: 5 * time.Minute, Retention: 30 * 24 * time.Hour, Now: now}
}

func TestCheckPassesDeletedSites(t *testing.T) {
	res, err := Check(context.Background(), newDir(), req("site-deleted-1", " site-deleted-2 "))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sites) != 2 || res.Users != 127 {
		t.Fatalf("got %+v", res)
	}
	s := res.Sites[0]
	if s.SiteID != "site-deleted-1" || !s.RestorePoint.Equal(time.Date(2022, 4, 5, 7, 33, 0, 0, time.UTC)) || s.Users != 120 {
		t.Fatalf("site 0: %+v", s)
	}
	if res.Sites[1].SiteID != "site-deleted-2" {
		t.Fatalf("order not kept: %+v", res.Sites)
	}
}

func TestCheckRefusesAppIDNamingAppAndSite(t *testing.T) {
	_, err := Check(context.Background(), newDir(), req("site-deleted-1", "app-1"))
	r := refused(t, err)
	if len(r.Problems) != 1 || r.Problems[0].Kind != KindAppID {
		t.Fatalf("problems: %+v", r.Problems)
	}
	msg := r.Error()
	for _, want := range []string{"app-1", "APP ID", "Timesheets", "site-live", "no workflow started"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestCheckRefusesUnknown(t *testing.T) {
	_, err := Check(context.Background(), newDir(), req("nope"))
	r := refused(t, err)
	if len(r.Problems) != 1 || r.Problems[0].Kind != KindUnknown || r.Problems[0].ID != "nope" {
		t.Fatalf("problems: %+v", r.Problems)
	}
}

func TestCheckRefusesIDMissingFromAnswer(t *testing.T) {
	// A directory that answers nothing at all for an ID.
	d := directoryFunc(func(ctx context.Context, ids []string) ([]platform.IDInfo, error) { return nil, nil })
	_, err := Check(context.Background(), d, req("ghost"))
	r := refused(t, err)
	if r.Problems[0].Kind != KindUnknown {
		t.Fatalf("problems: %+v", r.Problems)
	}
}

type directoryFunc func(ctx context.Context, ids []string) ([]platform.IDInfo, error)

func (f directoryFunc) LookupIDs(ctx context.Context, ids []string) ([]platform.IDInfo, error) {
	return f(ctx, ids)
}

func TestCheckRefusesDuplicate(t *testing.T) {
	d := newDir()
	_, err := Check(context.Background(), d, req("site-deleted-1", "site-deleted-2", "site-deleted-1"))
	r := refused(t, err)
	if len(r.Problems) != 1 || r.Problems[0].Kind != KindDuplicate || !strings.Contains(r.Problems[0].Reason, "#1") || !strings.Contains(r.Problems[0].Reason, "#3") {
		t.Fatalf("problems: %+v", r.Problems)
	}
	if len(d.lookups) != 1 || len(d.lookups[0]) != 2 {
		t.Fatalf("duplicates must be looked up once: %v", d.lookups)
	}
}

func TestCheckRefusesLiveSite(t *testing.T) {
	_, err := Check(context.Background(), newDir(), req("site-live"))
	r := refused(t, err)
	if r.Problems[0].Kind != KindLive || !strings.Contains(r.Error(), "never overwritten") || !strings.Contains(r.Error(), "live.example.net") {
		t.Fatalf("got %v", r)
	}
}

func TestCheckRefusesOutsideRetention(t *testing.T) {
	_, err := Check(context.Background(), newDir(), req("site-old"))
	r := refused(t, err)
	if r.Problems[0].Kind != KindRetention || !strings.Contains(r.Error(), "outside retention") {
		t.Fatalf("got %v", r)
	}
	// Without a retention the same site passes.
	q := req("site-old")
	q.Retention = 0
	if _, err := Check(context.Background(), newDir(), q); err != nil {
		t.Fatalf("no retention: %v", err)
	}
}

func TestCheckRefusesRestorePointJustOutsideRetention(t *testing.T) {
	d := newDir()
	// Deleted 30 days minus 1 minute ago: the deletion is inside retention
	// but the restore point (5 minutes earlier) is not.
	d.infos["edge"] = platform.IDInfo{ID: "edge", Kind: platform.KindSite, Status: "deleted",
		DeletedAt: now.Add(-30*24*time.Hour + time.Minute)}
	_, err := Check(context.Background(), d, req("edge"))
	if r := refused(t, err); r.Problems[0].Kind != KindRetention {
		t.Fatalf("got %v", r)
	}
}

func TestCheckRefusesEmpty(t *testing.T) {
	_, err := Check(context.Background(), newDir(), req())
	if r := refused(t, err); r.Problems[0].Kind != KindEmpty {
		t.Fatalf("got %v", r)
	}
	_, err = Check(context.Background(), newDir(), req("site-deleted-1", "  "))
	if r := refused(t, err); len(r.Problems) != 1 || r.Problems[0].Kind != KindEmpty || !strings.Contains(r.Error(), "#2") {
		t.Fatalf("got %v", r)
	}
}

func TestCheckRefusesTooMany(t *testing.T) {
	q := req("site-deleted-1", "site-deleted-2")
	q.MaxSites = 1
	_, err := Check(context.Background(), newDir(), q)
	if r := refused(t, err); r.Problems[0].Kind != KindTooMany {
		t.Fatalf("got %v", r)
	}
}

func TestCheckRefusesFutureDeletion(t *testing.T) {
	d := newDir()
	d.infos["f"] = platform.IDInfo{ID: "f", Kind: platform.KindSite, Status: "deleted", DeletedAt: now.Add(time.Hour)}
	_, err := Check(context.Background(), d, req("f"))
	if r := refused(t, err); r.Problems[0].Kind != KindFuture {
		t.Fatalf("got %v", r)
	}
}

func TestCheckRefusesDeletedWithoutTime(t *testing.T) {
	d := newDir()
	d.infos["nt"] = platform.IDInfo{ID: "nt", Kind: platform.KindSite, Status: "deleted"}
	_, err := Check(context.Background(), d, req("nt"))
	if r := refused(t, err); !strings.Contains(r.Error(), "deletion time is unknown") || r.Problems[0].Kind != KindNoDeletionTime {
		t.Fatalf("got %v", r)
	}
}

// The incident's list in reverse: many problems, all listed at once, in order.
func TestCheckListsEveryProblemAtOnce(t *testing.T) {
	_, err := Check(context.Background(), newDir(), req("app-1", "site-deleted-1", "nope", "site-live", "site-old", "site-deleted-1"))
	r := refused(t, err)
	var kinds []string
	for _, p := range r.Problems {
		kinds = append(kinds, p.Kind)
	}
	// Duplicates are found before the lookup, so they come first.
	want := []string{KindDuplicate, KindAppID, KindUnknown, KindLive, KindRetention}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("kinds %v, want %v\n%s", kinds, want, r)
	}
	if got := r.Multi().Len(); got != 5 {
		t.Fatalf("multierror has %d errors", got)
	}
	if s := r.Summary(); s != "1 app ID, 1 unknown ID, 1 live site, 1 duplicate, 1 restore point outside retention" {
		t.Fatalf("summary %q", s)
	}
}

func TestCheckDirectoryErrorRefuses(t *testing.T) {
	d := newDir()
	d.err = errors.New("connection refused")
	_, err := Check(context.Background(), d, req("site-deleted-1"))
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.HasSuffix(err.Error(), "nothing was started") {
		t.Fatalf("got %v", err)
	}
	if _, ok := AsRefused(err); ok {
		t.Fatal("a lookup failure is not a list of problems")
	}
	var u *Unavailable
	if !errors.As(err, &u) || !errors.Is(err, d.err) {
		t.Fatalf("want an *Unavailable wrapping the directory's error, got %#v", err)
	}
}

func TestCheckNegativeOffset(t *testing.T) {
	q := req("site-deleted-1")
	q.RestoreOffset = -time.Minute
	if _, err := Check(context.Background(), newDir(), q); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Fatalf("got %v", err)
	}
}
