package runbooks

// A plan's shape for a run without people: a drill (no customer to ask,
// so no gates).

// WithoutGates returns a copy of the plan without its gate steps (Step.Gate
// set), and the IDs of the gates it dropped, in plan order. Every step that
// needed a gate needs what the gate needed instead, transitively (a chain
// of gates collapses onto the last step before it), so no ordering between
// the remaining steps is lost. The copy's critical path, estimate, width
// and steps per service are recomputed; the plan itself is not changed. A
// plan without gates comes back as an equal copy and no IDs.
func (p *Plan) WithoutGates() (*Plan, []string) {
	if p == nil {
		return nil, nil
	}
	gateNeeds := map[string][]string{}
	var dropped []string
	pos := map[string]int{}
	for i, st := range p.Steps {
		pos[st.ID] = i
		if st.Gate != nil {
			gateNeeds[st.ID] = st.Needs
			dropped = append(dropped, st.ID)
		}
	}
	// resolve is a need with every gate replaced by its own needs.
	var resolve func(id string, seen map[string]bool, out *[]string)
	resolve = func(id string, seen map[string]bool, out *[]string) {
		if seen[id] {
			return
		}
		seen[id] = true
		needs, isGate := gateNeeds[id]
		if !isGate {
			*out = append(*out, id)
			return
		}
		for _, n := range needs {
			resolve(n, seen, out)
		}
	}
	out := *p
	out.Steps = make([]PlanStep, 0, len(p.Steps)-len(dropped))
	out.StepsPerService = make(map[string]int, len(p.StepsPerService))
	for _, st := range p.Steps {
		if st.Gate != nil {
			continue
		}
		c := st
		c.Needs = nil
		if len(st.Needs) > 0 {
			var needs []string
			seen := map[string]bool{}
			for _, n := range st.Needs {
				resolve(n, seen, &needs)
			}
			// Plan order, as Compile writes needs.
			sortByPos(needs, pos)
			c.Needs = needs
		}
		if st.Params != nil {
			c.Params = make(map[string]string, len(st.Params))
			for k, v := range st.Params {
				c.Params[k] = v
			}
		}
		out.Steps = append(out.Steps, c)
		out.StepsPerService[c.Service]++
	}
	sched := out.Schedule()
	out.CriticalPath = sched.CriticalPath
	out.EstimatedDuration = sched.Total
	out.Width = sched.Width
	return &out, dropped
}

func sortByPos(ids []string, pos map[string]int) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && pos[ids[j]] < pos[ids[j-1]]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}
