package runbooks

import (
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"
)

// Compile parses, validates and compiles the runbook source src. file names
// the source in problems. On any problem it returns nil and an error holding
// every problem (see Problems), each formatted FILE:LINE:COL: message.
func Compile(file string, src []byte) (*Plan, error) {
	c := newCollector(file)
	rb := parseRunbook(c, src)
	if rb == nil || len(rb.steps) == 0 {
		return nil, c.err()
	}
	effs := make([]*effStep, 0, len(rb.steps))
	for _, st := range rb.steps {
		effs = append(effs, checkStep(c, rb, st))
	}
	g := expand(c, rb, effs)
	resolveNeeds(c, g)
	findCycles(c, g)
	if !c.ok() {
		return nil, c.err()
	}
	return build(rb, g, src), nil
}

// Validate reports every problem of the runbook source src (nil when valid).
func Validate(file string, src []byte) error {
	_, err := Compile(file, src)
	return err
}

// build turns a checked, acyclic graph into a Plan.
func build(rb *rawRunbook, g *graph, src []byte) *Plan {
	order := topoOrder(g)
	pos := make([]int, len(g.nodes)) // node index -> position in order
	for p, v := range order {
		pos[v] = p
	}
	sum := sha256.Sum256(src)
	plan := &Plan{
		Runbook:         rb.name.v,
		Description:     rb.description.v,
		Digest:          hex.EncodeToString(sum[:]),
		Steps:           make([]PlanStep, 0, len(order)),
		StepsPerService: map[string]int{},
	}
	for _, v := range order {
		n := g.nodes[v]
		e := n.eff
		needs := append([]int(nil), n.needs...)
		sort.Slice(needs, func(i, j int) bool { return pos[needs[i]] < pos[needs[j]] })
		ps := PlanStep{
			ID:            n.id,
			Action:        e.action.Name,
			Scope:         e.scope,
			Service:       e.service,
			Stage:         e.stage,
			Timeout:       e.timeout,
			Heartbeat:     e.heartbeat,
			Retry:         e.retry,
			RetryBudget:   e.budget,
			OnFailure:     e.onFailure,
			Estimate:      e.estimate,
			Cleanup:       e.cleanup,
			OnlyIfProduct: n.onlyIf,
		}
		for _, w := range needs {
			ps.Needs = append(ps.Needs, g.nodes[w].id)
		}
		if len(n.params) > 0 {
			ps.Params = make(map[string]string, len(n.params))
			for k, val := range n.params {
				ps.Params[k] = val
			}
		}
		if e.gate != nil {
			gc := *e.gate
			ps.Gate = &gc
		}
		plan.Steps = append(plan.Steps, ps)
		plan.StepsPerService[ps.Service]++
	}
	sched := plan.Schedule()
	plan.CriticalPath = sched.CriticalPath
	plan.EstimatedDuration = sched.Total
	plan.Width = sched.Width
	return plan
}

// topoOrder is Kahn's algorithm with ties broken by file order.
func topoOrder(g *graph) []int {
	n := len(g.nodes)
	indeg := make([]int, n)
	dependents := make([][]int, n)
	for v, node := range g.nodes {
		indeg[v] = len(node.needs)
		for _, w := range node.needs {
			dependents[w] = append(dependents[w], v)
		}
	}
	h := &intHeap{}
	for v := 0; v < n; v++ {
		if indeg[v] == 0 {
			heap.Push(h, v)
		}
	}
	order := make([]int, 0, n)
	for h.Len() > 0 {
		v := heap.Pop(h).(int)
		order = append(order, v)
		for _, d := range dependents[v] {
			indeg[d]--
			if indeg[d] == 0 {
				heap.Push(h, d)
			}
		}
	}
	return order
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func sortStrings(s []string) { sort.Strings(s) }

// Schedule is the ASAP schedule of a plan by estimates: every step starts as
// soon as everything it needs is done, and runs for its estimate. Batch steps
// are included: a site step that needs a batch step waits for it.
type Schedule struct {
	// Start and Finish of each step, by step ID, from the start of the run.
	Start  map[string]time.Duration
	Finish map[string]time.Duration
	// CriticalPath is the longest chain of needs by estimates, first step
	// first; Total is its estimated duration (the plan's makespan).
	CriticalPath []string
	Total        time.Duration
	// Width is the largest number of steps running at once in the schedule
	// (a step with a zero estimate takes an infinitesimal time).
	Width int
}

// Schedule computes the ASAP schedule of the plan. The plan's steps must be
// in topological order (as Compile makes them); needs naming no earlier step
// are ignored.
func (p *Plan) Schedule() Schedule {
	s := Schedule{Start: map[string]time.Duration{}, Finish: map[string]time.Duration{}}
	idx := map[string]int{}
	via := make([]int, len(p.Steps)) // the need that finishes last, or -1
	start := make([]instant, len(p.Steps))
	fin := make([]instant, len(p.Steps))
	for i, st := range p.Steps {
		idx[st.ID] = i
		via[i] = -1
		for _, need := range st.Needs {
			j, ok := idx[need]
			if !ok {
				continue
			}
			if via[i] < 0 || start[i].less(fin[j]) {
				start[i], via[i] = fin[j], j
			}
		}
		fin[i] = instant{start[i].t + st.Estimate, start[i].k}
		if st.Estimate == 0 {
			fin[i].k++
		}
		s.Start[st.ID], s.Finish[st.ID] = start[i].t, fin[i].t
	}
	last := -1
	for i := range p.Steps {
		if last < 0 || fin[last].less(fin[i]) {
			last = i
		}
	}
	if last < 0 {
		return s
	}
	s.Total = fin[last].t
	for v := last; v >= 0; v = via[v] {
		s.CriticalPath = append(s.CriticalPath, p.Steps[v].ID)
	}
	for i, j := 0, len(s.CriticalPath)-1; i < j; i, j = i+1, j-1 {
		s.CriticalPath[i], s.CriticalPath[j] = s.CriticalPath[j], s.CriticalPath[i]
	}
	s.Width = asapWidth(start, fin)
	return s
}

// asapWidth is the maximum number of steps running at once in the ASAP
// schedule, a step with a zero estimate taking an infinitesimal time (so two
// such steps in sequence never overlap, and two in parallel do).
func asapWidth(start, fin []instant) int {
	type ev struct {
		at    instant
		delta int
	}
	evs := make([]ev, 0, 2*len(start))
	for i := range start {
		evs = append(evs, ev{start[i], +1}, ev{fin[i], -1})
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].at != evs[j].at {
			return evs[i].at.less(evs[j].at)
		}
		return evs[i].delta < evs[j].delta // ends before starts
	})
	active, best := 0, 0
	for _, e := range evs {
		active += e.delta
		if active > best {
			best = active
		}
	}
	return best
}

// instant is a time in the ASAP schedule where a step with a zero estimate
// takes an infinitesimal time eps: t + k*eps.
type instant struct {
	t time.Duration
	k int
}

func (a instant) less(b instant) bool { return a.t < b.t || (a.t == b.t && a.k < b.k) }
