package drill

import (
	"encoding/binary"
	"hash/fnv"
	"sort"
	"strconv"
)

// MultiProductMin is how many products make a site multi-product.
const MultiProductMin = 3

// Sample draws n sites of the fleet cands for a drill, stratified so that
// large, small and multi-product sites are all restored, and deterministic:
// the same candidates, in any order, with the same seed give the same
// result (a candidate listed twice counts once).
//
// The strata are cut from the whole fleet:
//
//   - large: the third of the sites (rounded up) with the most rows;
//   - small: the third (rounded up) with the fewest rows;
//   - multi-product: the sites with MultiProductMin products or more or,
//     when no site has that many, the sites with the most products, if
//     that is at least two.
//
// Rows ties are broken by site ID. The strata may overlap (a large site
// may have three products); a site is drawn once, under the stratum it was
// drawn for.
//
// n is split evenly over the non-empty strata, the remainder going to
// large, then small, then multi-product (n = 20: 7, 7 and 6). The strata
// are drawn in turns, the smallest stratum first in each turn, so that
// with n >= 3 every non-empty stratum gets at least one site unless the
// others took all of its sites first. Within a stratum the order is a
// permutation of its sites fixed by the seed (a hash of seed, stratum and
// site ID). A stratum with fewer sites than its share leaves the rest of
// the share to the others in turn; once every stratum is drawn out, the
// sites in none of them (the middle of the fleet by rows, with fewer
// products) fill the sample, in the seed's order, labelled large or small
// by the half of the fleet their rows are in. n >= len(cands) gives every
// site; n <= 0 gives none.
func Sample(cands []Candidate, n int, seed int64) []Picked {
	fleet := uniqueSorted(cands)
	if n <= 0 || len(fleet) == 0 {
		return nil
	}
	n = min(n, len(fleet))

	// By rows, most first; ties by site ID (fleet is sorted by ID).
	byRows := append([]Candidate(nil), fleet...)
	sort.SliceStable(byRows, func(i, j int) bool { return byRows[i].Rows > byRows[j].Rows })
	third := (len(byRows) + 2) / 3
	rank := make(map[string]int, len(byRows))
	for i, c := range byRows {
		rank[c.SiteID] = i
	}

	maxProducts := 0
	for _, c := range fleet {
		maxProducts = max(maxProducts, c.Products)
	}
	multiMin := MultiProductMin
	if maxProducts < MultiProductMin {
		multiMin = max(maxProducts, 2)
	}

	pools := []*stratum{
		{name: StratumLarge, order: 0},
		{name: StratumSmall, order: 1},
		{name: StratumMultiProduct, order: 2},
	}
	var rest []Candidate
	for _, c := range fleet {
		r := rank[c.SiteID]
		in := false
		if r < third {
			pools[0].sites = append(pools[0].sites, c)
			in = true
		}
		if r >= len(byRows)-third {
			pools[1].sites = append(pools[1].sites, c)
			in = true
		}
		if c.Products >= multiMin {
			pools[2].sites = append(pools[2].sites, c)
			in = true
		}
		if !in {
			rest = append(rest, c)
		}
	}
	var live []*stratum
	for _, p := range pools {
		if len(p.sites) > 0 {
			seedOrder(p.sites, seed, p.name)
			live = append(live, p)
		}
	}
	// Shares in the fixed order, then turns smallest stratum first.
	for i, p := range live {
		p.share = n / len(live)
		if i < n%len(live) {
			p.share++
		}
	}
	sort.SliceStable(live, func(i, j int) bool {
		if len(live[i].sites) != len(live[j].sites) {
			return len(live[i].sites) < len(live[j].sites)
		}
		return live[i].order < live[j].order
	})

	taken := make(map[string]bool, n)
	out := make([]Picked, 0, n)
	take := func(c Candidate, name string) {
		taken[c.SiteID] = true
		out = append(out, Picked{SiteID: c.SiteID, Stratum: name, Users: c.Users})
	}
	spill := 0
	for len(out) < n {
		progress := false
		for _, p := range live {
			if p.share == 0 || len(out) == n {
				continue
			}
			if c, ok := p.next(taken); ok {
				take(c, p.name)
				p.share--
				progress = true
			} else {
				spill += p.share
				p.share = 0
			}
		}
		if !progress {
			break
		}
	}
	// Shares a stratum could not fill go to the others, in turns.
	for spill > 0 && len(out) < n {
		progress := false
		for _, p := range live {
			if spill == 0 || len(out) == n {
				break
			}
			if c, ok := p.next(taken); ok {
				take(c, p.name)
				spill--
				progress = true
			}
		}
		if !progress {
			break
		}
	}
	// Then the sites in no stratum.
	seedOrder(rest, seed, "rest")
	for _, c := range rest {
		if len(out) == n {
			break
		}
		name := StratumSmall
		if rank[c.SiteID] < len(byRows)/2 {
			name = StratumLarge
		}
		take(c, name)
	}
	return out
}

// stratum is one stratum being drawn: its sites in the seed's order, the
// next to look at, and what is left of its share.
type stratum struct {
	name  string
	order int
	sites []Candidate
	pos   int
	share int
}

// next is the stratum's next site not taken yet.
func (s *stratum) next(taken map[string]bool) (Candidate, bool) {
	for s.pos < len(s.sites) {
		c := s.sites[s.pos]
		s.pos++
		if !taken[c.SiteID] {
			return c, true
		}
	}
	return Candidate{}, false
}

// uniqueSorted is the candidates by site ID, each ID once (of duplicates,
// the one with the most rows, then products, then users: whatever the
// input order).
func uniqueSorted(cands []Candidate) []Candidate {
	all := append([]Candidate(nil), cands...)
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		switch {
		case a.SiteID != b.SiteID:
			return a.SiteID < b.SiteID
		case a.Rows != b.Rows:
			return a.Rows > b.Rows
		case a.Products != b.Products:
			return a.Products > b.Products
		}
		return a.Users > b.Users
	})
	out := make([]Candidate, 0, len(all))
	for _, c := range all {
		if c.SiteID == "" || (len(out) > 0 && c.SiteID == out[len(out)-1].SiteID) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// seedOrder orders sites by a hash of the seed, the stratum's name and the
// site ID (ties by ID): a permutation that depends on nothing else.
func seedOrder(sites []Candidate, seed int64, name string) {
	key := make(map[string]uint64, len(sites))
	for _, c := range sites {
		key[c.SiteID] = drawKey(seed, name, c.SiteID)
	}
	sort.Slice(sites, func(i, j int) bool {
		ki, kj := key[sites[i].SiteID], key[sites[j].SiteID]
		if ki != kj {
			return ki < kj
		}
		return sites[i].SiteID < sites[j].SiteID
	})
}

func drawKey(seed int64, name, id string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	_, _ = h.Write(b[:])
	_, _ = h.Write([]byte(name + "\x00" + strconv.Itoa(len(id)) + "\x00" + id))
	return h.Sum64()
}
