package drill

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
)

// fleet is a made-up fleet: site i has i*10 rows (so rank by rows is the
// index), 1 or 2 products, and every seventh site has 3 or more.
func fleet(n int) []Candidate {
	out := make([]Candidate, n)
	for i := range out {
		p := 1 + i%2
		if i%7 == 3 {
			p = 3 + i%3
		}
		out[i] = Candidate{SiteID: fmt.Sprintf("site-%04d", i), Users: i % 13, Products: p, Rows: int64(i * 10)}
	}
	return out
}

func shuffled(c []Candidate, seed uint64) []Candidate {
	out := append([]Candidate(nil), c...)
	r := rand.New(rand.NewPCG(seed, seed))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestSampleDeterministicAndOrderIndependent(t *testing.T) {
	f := fleet(300)
	want := Sample(f, 20, 42)
	if len(want) != 20 {
		t.Fatalf("got %d sites, want 20", len(want))
	}
	for i := uint64(1); i <= 5; i++ {
		if got := Sample(shuffled(f, i), 20, 42); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d: the same fleet in another order gave another sample:\n%v\nwant\n%v", i, got, want)
		}
	}
	// A duplicated candidate changes nothing.
	if got := Sample(append(shuffled(f, 9), f[17], f[250]), 20, 42); !reflect.DeepEqual(got, want) {
		t.Fatalf("duplicates changed the sample:\n%v\nwant\n%v", got, want)
	}
	// Another seed draws other sites.
	if other := Sample(f, 20, 43); reflect.DeepEqual(ids(other), ids(want)) {
		t.Fatalf("seeds 42 and 43 drew the same sites: %v", ids(want))
	}
}

func ids(p []Picked) []string {
	out := make([]string, len(p))
	for i, x := range p {
		out[i] = x.SiteID
	}
	sort.Strings(out)
	return out
}

func TestSampleStrata(t *testing.T) {
	f := fleet(300)
	byID := map[string]Candidate{}
	for _, c := range f {
		byID[c.SiteID] = c
	}
	for seed := int64(0); seed < 50; seed++ {
		for _, n := range []int{3, 4, 20, 100} {
			got := Sample(f, n, seed)
			if len(got) != n {
				t.Fatalf("seed %d n %d: %d sites", seed, n, len(got))
			}
			count := map[string]int{}
			seen := map[string]bool{}
			for _, p := range got {
				if seen[p.SiteID] {
					t.Fatalf("seed %d n %d: %s drawn twice", seed, n, p.SiteID)
				}
				seen[p.SiteID] = true
				c, ok := byID[p.SiteID]
				if !ok {
					t.Fatalf("seed %d n %d: %s is no candidate", seed, n, p.SiteID)
				}
				if p.Users != c.Users {
					t.Errorf("seed %d: %s has %d users, want %d", seed, p.SiteID, p.Users, c.Users)
				}
				count[p.Stratum]++
				// Rank by rows is the index: the top third is 200..299.
				switch p.Stratum {
				case StratumLarge:
					if c.Rows < 2000 {
						t.Errorf("seed %d n %d: %s (%d rows) drawn as large", seed, n, p.SiteID, c.Rows)
					}
				case StratumSmall:
					if c.Rows >= 1000 {
						t.Errorf("seed %d n %d: %s (%d rows) drawn as small", seed, n, p.SiteID, c.Rows)
					}
				case StratumMultiProduct:
					if c.Products < MultiProductMin {
						t.Errorf("seed %d n %d: %s (%d products) drawn as multi-product", seed, n, p.SiteID, c.Products)
					}
				default:
					t.Errorf("seed %d n %d: %s in stratum %q", seed, n, p.SiteID, p.Stratum)
				}
			}
			for _, s := range []string{StratumLarge, StratumSmall, StratumMultiProduct} {
				if count[s] == 0 {
					t.Errorf("seed %d n %d: no %s site in %v", seed, n, s, got)
				}
			}
			if n == 20 && (count[StratumLarge] != 7 || count[StratumSmall] != 7 || count[StratumMultiProduct] != 6) {
				t.Errorf("seed %d: n 20 split %v, want 7 large, 7 small, 6 multi-product", seed, count)
			}
		}
	}
}

func TestSampleWholeFleetAndEdges(t *testing.T) {
	f := fleet(10)
	for _, n := range []int{10, 11, 1000} {
		got := Sample(f, n, 1)
		want := make([]string, len(f))
		for i, c := range f {
			want[i] = c.SiteID
		}
		if !reflect.DeepEqual(ids(got), want) {
			t.Fatalf("n %d of a fleet of 10: %v, want every site %v", n, ids(got), want)
		}
	}
	if got := Sample(f, 0, 1); len(got) != 0 {
		t.Errorf("n 0: %v", got)
	}
	if got := Sample(nil, 5, 1); len(got) != 0 {
		t.Errorf("no candidates: %v", got)
	}
	one := Sample(f[:1], 3, 1)
	if len(one) != 1 || one[0].SiteID != f[0].SiteID {
		t.Errorf("fleet of one: %v", one)
	}
}

// With no site of three products, the multi-product stratum is the sites
// with the most products (two); with one product each, it is empty and n
// is split over large and small.
func TestSampleMultiProductFallback(t *testing.T) {
	f := fleet(60)
	for i := range f {
		f[i].Products = min(f[i].Products, 2)
	}
	got := Sample(f, 6, 5)
	count := map[string]int{}
	for _, p := range got {
		count[p.Stratum]++
		if p.Stratum == StratumMultiProduct {
			for _, c := range f {
				if c.SiteID == p.SiteID && c.Products != 2 {
					t.Errorf("%s has %d products, drawn as multi-product", c.SiteID, c.Products)
				}
			}
		}
	}
	if count[StratumMultiProduct] != 2 || count[StratumLarge] != 2 || count[StratumSmall] != 2 {
		t.Errorf("two products at most: split %v, want 2 each", count)
	}
	for i := range f {
		f[i].Products = 1
	}
	count = map[string]int{}
	for _, p := range Sample(f, 6, 5) {
		count[p.Stratum]++
	}
	if count[StratumMultiProduct] != 0 || count[StratumLarge] != 3 || count[StratumSmall] != 3 {
		t.Errorf("one product each: split %v, want 3 large, 3 small", count)
	}
}
