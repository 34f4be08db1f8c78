package readiness

import (
	"strings"
	"testing"
	"time"
)

func TestSegmentsBetween(t *testing.T) {
	const mb16 = 16 << 20
	for _, c := range []struct {
		a, b string
		want int64
	}{
		{"000000010000000000000003", "000000010000000000000004", 1},
		{"0000000100000000000000FF", "000000010000000100000000", 1}, // 16 MB: 256 segments a log
		{"000000010000000000000003", "000000010000000000000003", 0},
		{"000000010000000000000003", "000000020000000000000009", 0}, // another timeline
		{"garbage", "000000010000000000000009", 0},
	} {
		if got := segmentsBetween(c.a, c.b, mb16); got != c.want {
			t.Errorf("segmentsBetween(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	// 1 MB segments: 4096 a log.
	if got := segmentsBetween("000000010000000000000FFF", "000000010000000100000000", 1<<20); got != 1 {
		t.Errorf("1 MB segments across a log: %d, want 1", got)
	}
}

func TestLag(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	last := now.Add(-10 * time.Minute)
	if got := lag(Archiving{LastArchived: last}, now, time.Minute); got != time.Minute {
		t.Errorf("no segment waiting, archive_timeout 1m: lag %s, want 1m", got)
	}
	if got := lag(Archiving{LastArchived: last, Pending: 2}, now, time.Minute); got != 10*time.Minute {
		t.Errorf("segments waiting: lag %s, want 10m", got)
	}
	if got := lag(Archiving{LastArchived: last}, now, 0); got != 10*time.Minute {
		t.Errorf("no archive_timeout: lag %s, want 10m", got)
	}
}

func TestJudgeArchiving(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	c := &Checker{}
	for _, tc := range []struct {
		name string
		a    Archiving
		want string // "" for current
	}{
		{"current", Archiving{Mode: "on", LastArchived: now.Add(-30 * time.Second), Lag: 30 * time.Second}, ""},
		{"off", Archiving{Mode: "off"}, "archive_mode is off"},
		{"failing", Archiving{Mode: "on", LastArchived: now.Add(-time.Hour), LastFailed: now.Add(-time.Second), Failed: 3,
			FailedWAL: "000000010000000000000009", LastWAL: "000000010000000000000008"},
			"WAL archiving is failing: segment 000000010000000000000009 failed at 2026-01-02T11:59:59Z (3 failures in all)"},
		{"old failure", Archiving{Mode: "on", LastArchived: now.Add(-time.Second), LastFailed: now.Add(-time.Hour), Failed: 1, Lag: time.Second}, ""},
		{"never", Archiving{Mode: "on"}, "no WAL segment has been archived yet"},
		{"never succeeded", Archiving{Mode: "on", Failed: 2, LastFailed: now}, "WAL archiving has never succeeded: 2 failures"},
		{"behind", Archiving{Mode: "on", LastArchived: now.Add(-20 * time.Minute), Pending: 4, Lag: 20 * time.Minute},
			"WAL archiving is behind: 4 completed segments wait"},
	} {
		a := tc.a
		lines := c.judgeArchiving("cluster products (127.0.0.1:5432)", &a)
		switch {
		case tc.want == "" && (len(lines) != 0 || !a.Current):
			t.Errorf("%s: %q, current %v; want current", tc.name, lines, a.Current)
		case tc.want != "" && (len(lines) != 1 || a.Current || !strings.Contains(lines[0], tc.want) ||
			!strings.HasPrefix(lines[0], "cluster products (127.0.0.1:5432): ")):
			t.Errorf("%s: %q, current %v; want one line with %q", tc.name, lines, a.Current, tc.want)
		}
	}
}

func TestHonour(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	r := &Report{Described: 720 * time.Hour,
		Clusters: []ClusterReport{
			{Name: "a", Oldest: now.Add(-48 * time.Hour), Newest: now.Add(-30 * time.Second)},
			{Name: "b", Oldest: now.Add(-72 * time.Hour), Newest: now.Add(-2 * time.Minute)},
			{Name: "down"}, // no window: counts for neither
		},
		Buckets: []BucketReport{{Bucket: "media", Oldest: now.Add(-24 * time.Hour)}},
	}
	r.honour(now)
	if r.RPO != 2*time.Minute || r.Retention != 24*time.Hour {
		t.Errorf("RPO %s, retention %s; want 2m and 24h", r.RPO, r.Retention)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "reach back 24h0m0s, less than the 720h0m0s") {
		t.Errorf("notes %q", r.Notes)
	}
	if !r.Ready() {
		t.Error("a short history is a note, not a problem")
	}
	cut := &Report{Clusters: r.Clusters[:1], Buckets: []BucketReport{{Oldest: now.Add(-time.Hour), Cut: true}}}
	cut.honour(now)
	if cut.Retention != 48*time.Hour {
		t.Errorf("a cut scan limits the retention: %s, want 48h", cut.Retention)
	}
}
