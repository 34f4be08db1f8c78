package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

func TestChunksKeepCountAndBytes(t *testing.T) {
	ids := make([]string, 10_001)
	for i := range ids {
		ids[i] = fmt.Sprintf("id-%05d", i)
	}
	pieces := chunks(ids, 1000)
	if len(pieces) != 11 || len(pieces[10]) != 1 {
		t.Fatalf("%d pieces, last of %d", len(pieces), len(pieces[len(pieces)-1]))
	}
	// Long IDs: the byte bound cuts first.
	long := make([]string, 100)
	for i := range long {
		long[i] = strings.Repeat("x", 40_000)
	}
	n := 0
	for _, p := range chunks(long, 1000) {
		size := 0
		for _, id := range p {
			size += len(id) + 3
		}
		if size > ChunkBytes {
			t.Fatalf("a chunk of %d bytes", size)
		}
		n += len(p)
	}
	if n != len(long) {
		t.Fatalf("chunks hold %d IDs, want %d", n, len(long))
	}
	if got := chunks(nil, 0); len(got) != 0 {
		t.Fatalf("no IDs: %v", got)
	}
}

// A list over the directory's per-lookup cap is looked up in chunks, and
// its problems come back summarised by kind, the first ones in full.
func TestCheckLongListInChunks(t *testing.T) {
	d := newDir()
	d.max = 1000
	ids := []string{"site-deleted-1", "app-1", "site-live"}
	for i := 0; len(ids) < 100_000; i++ {
		ids = append(ids, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	q := req(ids...)
	q.ChunkSize = 1000
	t0 := time.Now()
	_, err := Check(context.Background(), d, q)
	r := refused(t, err)
	t.Logf("100,000 IDs checked in %s", time.Since(t0))
	if got, want := r.Summary(), "99997 unknown IDs, 1 app ID, 1 live site"; got != want {
		t.Fatalf("summary %q, want %q", got, want)
	}
	seen := 0
	for _, l := range d.lookups {
		if len(l) > d.max {
			t.Fatalf("a lookup of %d IDs, over the cap", len(l))
		}
		seen += len(l)
	}
	if seen != len(ids) {
		// Lower-case known IDs: the unknown ones (digits and lower case)
		// need no second lookup in another case.
		t.Fatalf("looked up %d IDs, want %d", seen, len(ids))
	}
	text := r.Error()
	if lines := strings.Count(text, "\n  - "); lines != Shown {
		t.Fatalf("%d problems printed in full, want %d", lines, Shown)
	}
	if !strings.Contains(text, fmt.Sprintf("... and %d more (--json prints every problem)", len(r.Problems)-Shown)) {
		t.Fatalf("no count of the rest:\n%s", text[len(text)-200:])
	}
	if rep := r.Report(); len(rep.Problems) != 99_999 || rep.Counts[KindUnknown] != 99_997 {
		t.Fatalf("report: %d problems, counts %v", len(rep.Problems), rep.Counts)
	}
}

// One chunk failing fails the check: nothing is decided on half a list.
func TestCheckChunkFailureStopsAll(t *testing.T) {
	d := directoryFunc(func(ctx context.Context, ids []string) ([]platform.IDInfo, error) {
		for _, id := range ids {
			if id == "b7" {
				return nil, errors.New("boom")
			}
		}
		return nil, nil
	})
	var ids []string
	for i := 0; i < 30; i++ {
		ids = append(ids, fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i))
	}
	q := req(ids...)
	q.ChunkSize = 2
	_, err := Check(context.Background(), d, q)
	var u *Unavailable
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v", err)
	}
}

// outageDir fails like a platform whose catalog is down, and can say so.
type outageDir struct{ err error }

func (o outageDir) LookupIDs(context.Context, []string) ([]platform.IDInfo, error) {
	return nil, o.err
}

func (o outageDir) DescribeOutage(err error) (string, bool) {
	if errors.Is(err, o.err) {
		return "the catalog service at http://catalog.test refused the connection (is it running?)", true
	}
	return "", false
}

func TestCheckNamesTheFailingService(t *testing.T) {
	raw := errors.New(`catalog: POST http://catalog.test/v1/ids/lookup: dial tcp: connection refused`)
	_, err := Check(context.Background(), outageDir{raw}, req("site-deleted-1"))
	want := "preflight: the catalog service at http://catalog.test refused the connection (is it running?); nothing was started"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if !errors.Is(err, raw) {
		t.Fatal("the cause is not kept")
	}
}

func TestCheckSuggestsTheIDInItsKnownCase(t *testing.T) {
	d := newDir()
	d.infos["5f0c1a2b-site"] = platform.IDInfo{ID: "5f0c1a2b-site", Kind: platform.KindSite, Status: "deleted", DeletedAt: now.Add(-time.Hour)}
	_, err := Check(context.Background(), d, req("5F0C1A2B-SITE", "APP-1", "Site-Deleted-2", "NOPE"))
	r := refused(t, err)
	want := map[string]string{"5F0C1A2B-SITE": "5f0c1a2b-site", "APP-1": "app-1", "Site-Deleted-2": "site-deleted-2"}
	for _, p := range r.Problems {
		if p.ID == "NOPE" {
			if p.Kind != KindUnknown || p.Suggestion != "" {
				t.Errorf("NOPE: %+v", p)
			}
			continue
		}
		if p.Kind != KindLetterCase || p.Suggestion != want[p.ID] || !strings.Contains(p.Error(), "did you mean "+want[p.ID]+"?") {
			t.Errorf("%s: %+v", p.ID, p)
		}
	}
	if len(r.Problems) != 4 {
		t.Fatalf("problems %+v", r.Problems)
	}
	if !strings.Contains(r.Error(), "APP-1: unknown ID; did you mean app-1? It differs only in letter case (a live app of site site-live)") {
		t.Errorf("refusal:\n%s", r)
	}
	if s := r.Summary(); s != "3 IDs in the wrong letter case, 1 unknown ID" {
		t.Errorf("summary %q", s)
	}
}

// Upper-case IDs of a platform whose IDs are upper case are found too.
func TestCheckSuggestsUpperCase(t *testing.T) {
	d := &fakeDir{infos: map[string]platform.IDInfo{
		"AB-1": {ID: "AB-1", Kind: platform.KindSite, Status: "deleted", DeletedAt: now.Add(-time.Hour)},
		"AB-2": {ID: "AB-2", Kind: platform.KindSite, Status: "deleted", DeletedAt: now.Add(-time.Hour)},
	}}
	_, err := Check(context.Background(), d, req("AB-1", "ab-2"))
	r := refused(t, err)
	if len(r.Problems) != 1 || r.Problems[0].Suggestion != "AB-2" {
		t.Fatalf("problems %+v", r.Problems)
	}
}

func TestCheckRefusesMalformedIDsWithoutLookingThemUp(t *testing.T) {
	d := newDir()
	bad := []string{"site\x00deleted", "caf\xe9", "\ufeffsite-deleted-1", "zero\u200bwidth", strings.Repeat("a", MaxIDLength+1)}
	_, err := Check(context.Background(), d, req(append([]string{"site-deleted-1"}, bad...)...))
	r := refused(t, err)
	if len(r.Problems) != len(bad) {
		t.Fatalf("problems %+v", r.Problems)
	}
	for i, p := range r.Problems {
		if p.Kind != KindMalformed || !strings.Contains(p.Reason, fmt.Sprintf("ID #%d is not an ID", i+2)) {
			t.Errorf("problem %d: %+v", i, p)
		}
		if line := p.Error(); strings.ContainsAny(line, "\x00\ufeff\u200b") || len(line) > 300 {
			t.Errorf("problem %d does not print on one clean line: %q", i, line)
		}
	}
	for _, want := range []string{`"site\x00deleted": ID #2 is not an ID: it holds the control character U+0000 at offset 4`,
		`byte 0xE9 at offset 3 is not UTF-8 text`, `invisible character U+FEFF at offset 0`, `is 257 bytes long`} {
		if !strings.Contains(r.Error(), want) {
			t.Errorf("refusal lacks %q:\n%s", want, r)
		}
	}
	for _, l := range d.lookups {
		for _, id := range l {
			if id != strings.ToValidUTF8(id, "") || strings.ContainsAny(id, "\x00\ufeff\u200b") || len(id) > MaxIDLength {
				t.Errorf("looked up %q", id)
			}
		}
	}
}
