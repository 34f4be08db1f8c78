package runbooks

import (
	"regexp"
	"strings"

	"github.com/lazarus-dr/lazarus/internal/suggest"
	"gopkg.in/yaml.v3"
)

// gnode is one compiled step before ordering: a step, or one expansion of a
// for_each step.
type gnode struct {
	id     string
	eff    *effStep
	item   string
	hasIt  bool
	order  int   // file order: source step, then item
	needs  []int // indices into graph.nodes, deduplicated
	params map[string]string
	onlyIf string // only_if_product, expanded
	// needNode[i] is the needs entry that produced needs[i].
	needNode []*yaml.Node
}

type graph struct {
	nodes  []*gnode
	byID   map[string]int
	groups map[string][]int
}

var otherTmpl = regexp.MustCompile(`\{\{|\}\}`)

// groupName is the name of the expansion group of an id template: the
// template without {{item}} and the separators around it
// ("restore-db-{{item}}" -> "restore-db").
func groupName(tmpl string) string {
	g := itemTmpl.ReplaceAllString(tmpl, "\x00")
	g = strings.ReplaceAll(g, "-\x00-", "-")
	g = strings.ReplaceAll(g, "_\x00_", "_")
	g = strings.ReplaceAll(g, ".\x00.", ".")
	g = strings.ReplaceAll(g, "\x00", "")
	return strings.Trim(g, "-_.")
}

// expand turns the checked steps into graph nodes, one per expansion, and
// records id problems (templating, duplicates) and problems of the expanded
// params and only_if_product.
func expand(c *collector, rb *rawRunbook, steps []*effStep) *graph {
	g := &graph{byID: map[string]int{}, groups: map[string][]int{}}
	groupOwner := map[string]*rawStep{}
	for _, e := range steps {
		st := e.raw
		if !st.id.set() {
			continue
		}
		tmpl := st.id.v
		templated := itemTmpl.MatchString(tmpl)
		if otherTmpl.MatchString(itemTmpl.ReplaceAllString(tmpl, "")) {
			c.at(st.id.n, "step %q: bad id: the only template is {{item}}", tmpl)
			continue
		}
		if st.forEach != nil && !templated {
			c.at(st.id.n, "step %q: has for_each, so its id must contain {{item}} (for example %s-{{item}})", tmpl, tmpl)
			continue
		}
		if st.forEach == nil && templated {
			c.at(st.id.n, "step %q: id uses {{item}} but the step has no for_each", tmpl)
			continue
		}
		var items []sval
		if st.forEach != nil {
			items = st.items
		} else {
			items = []sval{{}}
		}
		if templated {
			if gn := groupName(tmpl); gn != "" {
				if other, dup := groupOwner[gn]; dup {
					c.at(st.id.n, "step %q: duplicate id: its expansion group %q is also the group of step %q at %s", tmpl, gn, other.id.v, pos(other.id.n))
				} else {
					groupOwner[gn] = st
				}
			}
		}
		for _, it := range items {
			id := tmpl
			if templated {
				id = itemTmpl.ReplaceAllString(tmpl, it.v)
			}
			if !idRe.MatchString(id) {
				c.at(st.id.n, "step %q: bad id %q: want letters, digits, '.', '_' or '-' (at most 128)", tmpl, id)
				continue
			}
			if first, dup := g.byID[id]; dup {
				c.at(st.id.n, "duplicate id %q (first defined at %s)", id, pos(g.nodes[first].eff.raw.id.n))
				continue
			}
			if len(g.nodes) >= MaxSteps {
				c.at(st.id.n, "too many steps: a plan holds at most %d compiled steps", MaxSteps)
				return g
			}
			n := &gnode{id: id, eff: e, item: it.v, hasIt: templated, order: len(g.nodes), params: map[string]string{}}
			for _, p := range st.params {
				v := p.val.v
				if itemTmpl.MatchString(v) {
					if !templated {
						c.at(p.val.n, "step %q: param %s uses {{item}} but the step has no for_each", tmpl, p.key.v)
						continue
					}
					v = itemTmpl.ReplaceAllString(v, it.v)
				}
				if otherTmpl.MatchString(v) {
					c.at(p.val.n, "step %q: param %s: the only template is {{item}}", tmpl, p.key.v)
					continue
				}
				n.params[p.key.v] = v
			}
			if st.onlyIfProduct.set() {
				n.onlyIf = expandOnlyIf(c, rb, st, tmpl, templated, it.v)
			}
			g.byID[id] = len(g.nodes)
			g.nodes = append(g.nodes, n)
			if templated {
				if gn := groupName(tmpl); gn != "" && groupOwner[gn] == st {
					g.groups[gn] = append(g.groups[gn], n.order)
				}
			}
		}
	}
	for gn, owner := range groupOwner {
		if i, clash := g.byID[gn]; clash {
			c.at(owner.id.n, "step %q: duplicate id: its expansion group %q is also the id of the step at %s", owner.id.v, gn, pos(g.nodes[i].eff.raw.id.n))
			delete(g.groups, gn)
		}
	}
	return g
}

// expandOnlyIf returns the step's only_if_product for one expansion (item;
// templated says whether the step has for_each), {{item}} expanded as in
// params, and reports a bad value: another template, an empty value, a name
// that is not a product name, or, when the runbook has a list named
// products, a value that is not one of its items. It returns "" on a problem.
func expandOnlyIf(c *collector, rb *rawRunbook, st *rawStep, tmpl string, templated bool, item string) string {
	o := st.onlyIfProduct
	v := o.v
	if itemTmpl.MatchString(v) {
		if !templated {
			c.at(o.n, "step %q: only_if_product %q uses {{item}} but the step has no for_each", tmpl, o.v)
			return ""
		}
		v = itemTmpl.ReplaceAllString(v, item)
	}
	if otherTmpl.MatchString(v) {
		c.at(o.n, "step %q: only_if_product %q: the only template is {{item}}", tmpl, o.v)
		return ""
	}
	id := tmpl
	if templated {
		id = itemTmpl.ReplaceAllString(tmpl, item)
	}
	switch {
	case strings.TrimSpace(v) == "":
		c.at(o.n, "step %q: only_if_product is empty: name the product the site must have had for the step to run", id)
		return ""
	case !itemRe.MatchString(v):
		c.at(o.n, "step %q: only_if_product %q is not a product name: want letters, digits, '.', '_' or '-'", id, v)
		return ""
	}
	if products := rb.lists[productsList]; len(products) > 0 {
		names := make([]string, len(products))
		for i, p := range products {
			names[i] = p.v
		}
		if !contains(names, v) {
			c.at(o.n, "step %q: only_if_product %q is not a product of lists.%s%s (known: %s)", id, v, productsList, suggest.DidYouMean(v, names), strings.Join(names, ", "))
			return ""
		}
	}
	return v
}

// productsList is the name of the list that, when a runbook has it, holds
// every product only_if_product may name.
const productsList = "products"

// resolveNeeds turns every needs entry into edges, reporting dangling needs
// and batch steps that need site steps.
func resolveNeeds(c *collector, g *graph) {
	edges := 0
	for _, n := range g.nodes {
		st := n.eff.raw
		seen := map[int]bool{}
		for _, nd := range st.needs {
			ref := nd.v
			if itemTmpl.MatchString(ref) {
				if !n.hasIt {
					c.at(nd.n, "step %q: needs %q uses {{item}} but the step has no for_each", n.id, ref)
					continue
				}
				ref = itemTmpl.ReplaceAllString(ref, n.item)
			}
			if otherTmpl.MatchString(ref) {
				c.at(nd.n, "step %q: needs %q: the only template is {{item}}", st.id.v, nd.v)
				continue
			}
			var targets []int
			if i, ok := g.byID[ref]; ok {
				targets = []int{i}
			} else if grp, ok := g.groups[ref]; ok {
				targets = grp
			} else {
				cands := make([]string, 0, len(g.byID)+len(g.groups))
				for id := range g.byID {
					cands = append(cands, id)
				}
				for id := range g.groups {
					cands = append(cands, id)
				}
				sortStrings(cands)
				c.at(nd.n, "step %q needs %q, which is not a step id or an expansion group%s", n.id, ref, suggest.DidYouMean(ref, cands))
				continue
			}
			if edges += len(targets); edges > MaxEdges {
				c.at(nd.n, "too many needs: a plan holds at most %d edges", MaxEdges)
				return
			}
			for _, t := range targets {
				if seen[t] {
					continue
				}
				seen[t] = true
				n.needs = append(n.needs, t)
				n.needNode = append(n.needNode, nd.n)
				if n.eff.known && g.nodes[t].eff.known && n.eff.scope == ScopeBatch && g.nodes[t].eff.scope == ScopeSite {
					c.at(nd.n, "batch step %q needs site step %q: a batch step runs once per batch, before any site", n.id, g.nodes[t].id)
				}
			}
		}
	}
}

// findCycles reports every cycle of the needs graph (one per strongly
// connected component) with its path, a -> b -> a meaning a needs b.
func findCycles(c *collector, g *graph) {
	n := len(g.nodes)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next := 0
	var sccs [][]int

	// Iterative Tarjan, so that a huge plan cannot exhaust the stack.
	type frame struct{ v, ei int }
	for s := 0; s < n; s++ {
		if index[s] >= 0 {
			continue
		}
		call := []frame{{v: s}}
		index[s], low[s] = next, next
		next++
		stack = append(stack, s)
		onStack[s] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.ei < len(g.nodes[v].needs) {
				w := g.nodes[v].needs[f.ei]
				f.ei++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				sccs = append(sccs, comp)
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
		}
	}
	for _, comp := range sccs {
		in := map[int]bool{}
		start := comp[0]
		for _, v := range comp {
			in[v] = true
			if v < start {
				start = v
			}
		}
		self := false
		for _, w := range g.nodes[start].needs {
			if w == start {
				self = true
			}
		}
		if len(comp) == 1 && !self {
			continue
		}
		path := cyclePath(g, start, in)
		ids := make([]string, len(path))
		for i, v := range path {
			ids[i] = g.nodes[v].id
		}
		c.at(g.nodes[start].eff.raw.id.n, "cycle in needs: %s", strings.Join(ids, " -> "))
	}
}

// cyclePath returns the shortest path start -> ... -> start inside the
// component (BFS over needs, neighbours in file order).
func cyclePath(g *graph, start int, in map[int]bool) []int {
	prev := map[int]int{}
	queue := []int{start}
	visited := map[int]bool{}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g.nodes[v].needs {
			if !in[w] {
				continue
			}
			if w == start {
				path := []int{start}
				for x := v; x != start; x = prev[x] {
					path = append(path, x)
				}
				// path is start, v, prev(v), ...: reverse all but the first.
				rest := path[1:]
				for i, j := 0, len(rest)-1; i < j; i, j = i+1, j-1 {
					rest[i], rest[j] = rest[j], rest[i]
				}
				return append(path, start)
			}
			if !visited[w] {
				visited[w] = true
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return []int{start, start}
}
