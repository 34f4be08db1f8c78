package runbooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/internal/suggest"
	"gopkg.in/yaml.v3"
)

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

// decodeYAML parses src into one document node. It never panics: a panic of
// the YAML library becomes a problem.
func decodeYAML(c *collector, src []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			c.atPos(1, 1, fmt.Sprintf("malformed YAML: %v", r))
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			c.atPos(1, 1, "empty runbook: the file has no content")
			return nil
		}
		line := 1
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
			if l, e := strconv.Atoi(m[1]); e == nil && l > 0 {
				line = l
			}
			msg = strings.TrimPrefix(msg, m[0]+": ")
		}
		// The YAML library names the line where the enclosing block starts;
		// the problem is on the line after the longest prefix that parses.
		if l := firstBadLine(src); l > line {
			line = l
		}
		c.atPos(line, 1, "malformed YAML: "+msg)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		c.at(&extra, "a runbook file holds one YAML document; found another")
	} else if !errors.Is(err, io.EOF) {
		c.atPos(1, 1, "malformed YAML after the first document: "+strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		if r := doc.Content[0]; r.Kind != yaml.ScalarNode || r.Tag != "!!null" {
			return r
		}
		c.atPos(1, 1, "empty runbook: the file has no content")
		return nil
	}
	if doc.Kind == 0 || (doc.Kind == yaml.DocumentNode && len(doc.Content) == 0) {
		c.atPos(1, 1, "empty runbook: the file has no content")
		return nil
	}
	return &doc
}

// deref follows aliases (bounded, so a malformed file cannot loop).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		if n.Alias == nil {
			return n
		}
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// eachField walks a mapping node: it reports duplicate and unknown keys and
// calls fn for every known key.
func eachField(c *collector, n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) bool {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		got := "nothing"
		if n != nil {
			got = kindName(n)
		}
		c.at(n, "%s: want a mapping, got %s", what, got)
		return false
	}
	seen := map[string]*yaml.Node{}
	var merged [][2]*yaml.Node // fields from "<<: *anchor", explicit fields win
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k != nil && k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "") {
			merged = append(merged, mergeFields(c, what, v)...)
			continue
		}
		if k == nil || k.Kind != yaml.ScalarNode {
			c.at(n.Content[i], "%s: keys must be plain names", what)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			c.at(k, "%s: duplicate field %q (first at %s)", what, k.Value, pos(first))
			continue
		}
		seen[k.Value] = k
		if what == "runbook" && strings.HasPrefix(k.Value, "x-") {
			continue // extension fields: a place for YAML anchors
		}
		if !contains(known, k.Value) {
			c.at(k, "%s: unknown field %q%s (known: %s)", what, k.Value, suggest.DidYouMean(k.Value, known), strings.Join(known, ", "))
			continue
		}
		fn(k.Value, k, v)
	}
	for _, kv := range merged {
		k, v := kv[0], kv[1]
		if _, explicit := seen[k.Value]; explicit {
			continue
		}
		seen[k.Value] = k
		if !contains(known, k.Value) {
			c.at(k, "%s: unknown field %q%s (known: %s)", what, k.Value, suggest.DidYouMean(k.Value, known), strings.Join(known, ", "))
			continue
		}
		fn(k.Value, k, v)
	}
	return true
}

// mergeFields returns the key/value pairs a YAML merge key brings in: one
// mapping or a list of mappings (earlier ones win), one level deep.
func mergeFields(c *collector, what string, v *yaml.Node) [][2]*yaml.Node {
	d := deref(v)
	var maps []*yaml.Node
	switch {
	case d != nil && d.Kind == yaml.MappingNode:
		maps = []*yaml.Node{d}
	case d != nil && d.Kind == yaml.SequenceNode:
		for _, e := range d.Content {
			if m := deref(e); m != nil && m.Kind == yaml.MappingNode {
				maps = append(maps, m)
			} else {
				c.at(e, "%s: a merge (<<) takes mappings", what)
			}
		}
	default:
		c.at(v, "%s: a merge (<<) takes a mapping or a list of mappings", what)
	}
	var out [][2]*yaml.Node
	seen := map[string]bool{}
	for _, m := range maps {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := deref(m.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode || k.Value == "<<" || seen[k.Value] {
				continue
			}
			seen[k.Value] = true
			out = append(out, [2]*yaml.Node{k, m.Content[i+1]})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func scalar(c *collector, what string, n *yaml.Node) (sval, bool) {
	d := deref(n)
	if d == nil || d.Kind != yaml.ScalarNode {
		got := "nothing"
		if d != nil {
			got = kindName(d)
		}
		c.at(n, "%s: want a single value, got %s", what, got)
		return sval{}, false
	}
	if d.Tag == "!!null" || (d.Value == "" && d.Style == 0) {
		c.at(n, "%s: empty value", what)
		return sval{}, false
	}
	return sval{v: d.Value, n: n}, true
}

func str(c *collector, what string, n *yaml.Node) sval {
	s, _ := scalar(c, what, n)
	return s
}

func duration(c *collector, what string, n *yaml.Node) dval {
	s, ok := scalar(c, what, n)
	if !ok {
		return dval{}
	}
	d, err := time.ParseDuration(s.v)
	if err != nil {
		c.at(n, "%s: bad duration %q: want a Go duration such as 90s, 5m or 2h30m", what, s.v)
		return dval{}
	}
	if d < 0 {
		c.at(n, "%s: bad duration %q: must not be negative", what, s.v)
		return dval{}
	}
	return dval{v: d, n: n}
}

// heartbeatWhy explains why a heartbeat timeout cannot be 0.
const heartbeatWhy = ": every step has a heartbeat timeout, so that a lost task or a dead worker is noticed"

// positive is a duration that must be longer than 0s (why, when set, says
// why); a zero is reported and left unset.
func positive(c *collector, what string, n *yaml.Node, why string) dval {
	d := duration(c, what, n)
	if d.set() && d.v == 0 {
		c.at(n, "%s: must be longer than 0s%s", what, why)
		return dval{}
	}
	return d
}

func parseRetry(c *collector, what string, n *yaml.Node) rawRetry {
	var r rawRetry
	eachField(c, n, what, retryFields, func(key string, k, v *yaml.Node) {
		switch key {
		case "initial_interval":
			r.initial = duration(c, what+".initial_interval", v)
		case "max_interval":
			r.max = duration(c, what+".max_interval", v)
		case "backoff":
			if s, ok := scalar(c, what+".backoff", v); ok {
				f, err := strconv.ParseFloat(s.v, 64)
				if err != nil || f < 1 || f > 100 || f != f {
					c.at(v, "%s.backoff: bad coefficient %q: want a number from 1 to 100", what, s.v)
				} else {
					r.backoff = fval{v: f, n: v}
				}
			}
		case "max_attempts":
			if s, ok := scalar(c, what+".max_attempts", v); ok {
				i, err := strconv.ParseInt(s.v, 10, 32)
				if err != nil || i < 0 {
					c.at(v, "%s.max_attempts: bad count %q: want a whole number >= 0 (0 means unlimited)", what, s.v)
				} else {
					r.attempts = ival{v: i, n: v}
				}
			}
		}
	})
	return r
}

func stringList(c *collector, what string, n *yaml.Node) []sval {
	d := deref(n)
	if d == nil || d.Kind != yaml.SequenceNode {
		got := "nothing"
		if d != nil {
			got = kindName(d)
		}
		c.at(n, "%s: want a list, got %s", what, got)
		return nil
	}
	out := make([]sval, 0, len(d.Content))
	for _, e := range d.Content {
		if s, ok := scalar(c, what+" item", e); ok {
			out = append(out, s)
		}
	}
	return out
}

// parseRunbook turns the YAML tree into a rawRunbook, recording every
// syntactic problem. It returns nil only when nothing can be checked further.
func parseRunbook(c *collector, src []byte) *rawRunbook {
	root := decodeYAML(c, src)
	if root == nil {
		return nil
	}
	rb := &rawRunbook{root: root, lists: map[string][]sval{}, listNodes: map[string]*yaml.Node{}}
	// Collect the top-level fields first, then read them in a fixed order so
	// that lists may come after the steps that use them.
	top := map[string]*yaml.Node{}
	var stepsVal *yaml.Node
	if !eachField(c, root, "runbook", topFields, func(key string, k, v *yaml.Node) {
		top[key] = v
		if key == "steps" {
			rb.stepsNode = k
			stepsVal = v
		}
	}) {
		return nil
	}
	if v := top["name"]; v != nil {
		rb.name = str(c, "name", v)
		if rb.name.set() && !idRe.MatchString(rb.name.v) {
			c.at(v, "name: bad name %q: want letters, digits, '.', '_' or '-'", rb.name.v)
		}
	}
	if v := top["description"]; v != nil {
		if d := deref(v); d != nil && d.Kind == yaml.ScalarNode {
			rb.description = sval{v: d.Value, n: v}
		} else {
			c.at(v, "description: want text")
		}
	}
	if v := top["lists"]; v != nil {
		eachList(c, rb, v)
	}
	if v := top["defaults"]; v != nil {
		rb.defaults = parseDefaults(c, v)
	}
	if top["name"] == nil {
		c.at(root, "runbook: missing field \"name\"")
	}
	if stepsVal == nil {
		c.at(root, "empty runbook: missing field \"steps\"")
		return rb
	}
	d := deref(stepsVal)
	if d.Kind != yaml.SequenceNode {
		c.at(stepsVal, "steps: want a list of steps, got %s", kindName(d))
		return rb
	}
	if len(d.Content) == 0 {
		c.at(rb.stepsNode, "empty runbook: steps is an empty list")
		return rb
	}
	for i, sn := range d.Content {
		rb.steps = append(rb.steps, parseStep(c, rb, i, sn))
	}
	return rb
}

func eachList(c *collector, rb *rawRunbook, v *yaml.Node) {
	d := deref(v)
	if d == nil || d.Kind != yaml.MappingNode {
		c.at(v, "lists: want a mapping of list names to lists")
		return
	}
	for i := 0; i+1 < len(d.Content); i += 2 {
		k := deref(d.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || !idRe.MatchString(k.Value) {
			c.at(d.Content[i], "lists: bad list name: want letters, digits, '.', '_' or '-'")
			continue
		}
		if first, dup := rb.listNodes[k.Value]; dup {
			c.at(k, "lists: duplicate list %q (first at %s)", k.Value, pos(first))
			continue
		}
		rb.listNodes[k.Value] = k
		rb.lists[k.Value] = checkItems(c, "lists."+k.Value, stringList(c, "lists."+k.Value, d.Content[i+1]))
		if dd := deref(d.Content[i+1]); dd != nil && dd.Kind == yaml.SequenceNode && len(dd.Content) == 0 {
			c.at(k, "lists.%s: empty list", k.Value)
		}
	}
}

func parseDefaults(c *collector, v *yaml.Node) rawDefaults {
	df := rawDefaults{n: v}
	eachField(c, v, "defaults", defaultsFields, func(key string, k, v *yaml.Node) {
		switch key {
		case "timeout":
			df.timeout = positive(c, "defaults.timeout", v, "")
		case "heartbeat":
			df.heartbeat = positive(c, "defaults.heartbeat", v, heartbeatWhy)
		case "estimate":
			df.estimate = duration(c, "defaults.estimate", v)
		case "retry":
			df.retry = parseRetry(c, "defaults.retry", v)
		case "retry_budget":
			df.retryBudget = positive(c, "defaults.retry_budget", v, "")
		case "on_failure":
			df.onFailure = onFailure(c, "defaults.on_failure", v)
		}
	})
	return df
}

func onFailure(c *collector, what string, v *yaml.Node) sval {
	s := str(c, what, v)
	if !s.set() {
		return s
	}
	switch FailurePolicy(s.v) {
	case OnFailurePark, OnFailureFail, OnFailureSkip:
		return s
	}
	c.at(v, "%s: bad policy %q: want park, fail or skip", what, s.v)
	return sval{}
}

func parseStep(c *collector, rb *rawRunbook, index int, n *yaml.Node) *rawStep {
	st := &rawStep{n: deref(n), index: index}
	what := fmt.Sprintf("steps[%d]", index)
	if m := deref(n); m != nil && m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k, v := deref(m.Content[i]), deref(m.Content[i+1]); k != nil && v != nil && k.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
				what = fmt.Sprintf("step %q", v.Value)
				break
			}
		}
	}
	present := map[string]bool{}
	eachField(c, n, what, stepFields, func(key string, k, v *yaml.Node) {
		present[key] = true
		switch key {
		case "id":
			st.id = str(c, what+".id", v)
		case "action":
			st.action = str(c, what+".action", v)
		case "needs":
			st.needs = stringList(c, what+".needs", v)
		case "scope":
			st.scope = str(c, what+".scope", v)
			if st.scope.set() && st.scope.v != string(ScopeSite) && st.scope.v != string(ScopeBatch) {
				c.at(v, "%s.scope: bad scope %q: want site or batch", what, st.scope.v)
				st.scope = sval{}
			}
		case "service":
			st.service = str(c, what+".service", v)
			if st.service.set() && !serviceRe.MatchString(st.service.v) {
				c.at(v, "%s.service: bad service %q: want lower-case letters, digits and '-'", what, st.service.v)
				st.service = sval{}
			}
		case "stage":
			st.stage = str(c, what+".stage", v)
		case "timeout":
			st.timeout = positive(c, what+".timeout", v, "")
		case "heartbeat":
			st.heartbeat = positive(c, what+".heartbeat", v, heartbeatWhy)
		case "estimate":
			st.estimate = duration(c, what+".estimate", v)
		case "retry":
			st.retry = parseRetry(c, what+".retry", v)
		case "retry_budget":
			st.retryBudget = positive(c, what+".retry_budget", v, "")
		case "on_failure":
			st.onFailure = onFailure(c, what+".on_failure", v)
		case "params":
			eachParam(c, st, what, v)
		case "gate":
			st.gate = parseGate(c, what+".gate", k, v)
		case "cleanup":
			st.cleanup = str(c, what+".cleanup", v)
		case "for_each":
			st.forEach = v
			st.items = forEachItems(c, rb, what, v)
		case "only_if_product":
			st.onlyIfProduct = str(c, what+".only_if_product", v)
		}
	})
	if st.id.set() {
		what = fmt.Sprintf("step %q", st.id.v)
	}
	if !present["id"] && st.n != nil && st.n.Kind == yaml.MappingNode {
		c.at(n, "%s: missing field \"id\"", what)
	}
	if !present["action"] && st.n != nil && st.n.Kind == yaml.MappingNode {
		c.at(n, "%s: missing field \"action\"", what)
	}
	return st
}

func eachParam(c *collector, st *rawStep, what string, v *yaml.Node) {
	d := deref(v)
	if d == nil || d.Kind != yaml.MappingNode {
		c.at(v, "%s.params: want a mapping of names to values", what)
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(d.Content); i += 2 {
		k := deref(d.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			c.at(d.Content[i], "%s.params: keys must be plain names", what)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			c.at(k, "%s.params: duplicate param %q (first at %s)", what, k.Value, pos(first))
			continue
		}
		seen[k.Value] = k
		val, ok := scalar(c, fmt.Sprintf("%s.params.%s", what, k.Value), d.Content[i+1])
		if !ok {
			continue
		}
		st.params = append(st.params, rawParam{key: sval{v: k.Value, n: k}, val: val})
	}
}

func parseGate(c *collector, what string, key, v *yaml.Node) *rawGate {
	g := &rawGate{n: key}
	eachField(c, v, what, gateFields, func(key string, k, v *yaml.Node) {
		switch key {
		case "deadline":
			g.deadline = duration(c, what+".deadline", v)
		case "escalation":
			g.escalation = duration(c, what+".escalation", v)
		case "on_deadline":
			g.onDeadline = str(c, what+".on_deadline", v)
			if g.onDeadline.set() && g.onDeadline.v != "approve" && g.onDeadline.v != "reject" && g.onDeadline.v != "park" {
				c.at(v, "%s.on_deadline: bad value %q: want approve, reject or park", what, g.onDeadline.v)
				g.onDeadline = sval{}
			}
		}
	})
	return g
}

// forEachItems returns the items of a for_each: a literal list, or the name of
// a list under lists.
func forEachItems(c *collector, rb *rawRunbook, what string, v *yaml.Node) []sval {
	d := deref(v)
	if d == nil {
		return nil
	}
	switch d.Kind {
	case yaml.SequenceNode:
		if len(d.Content) == 0 {
			c.at(v, "%s.for_each: empty list", what)
		}
		return checkItems(c, what+".for_each", stringList(c, what+".for_each", v))
	case yaml.ScalarNode:
		name, ok := scalar(c, what+".for_each", v)
		if !ok {
			return nil
		}
		list, found := rb.lists[name.v]
		if !found {
			names := make([]string, 0, len(rb.lists))
			for k := range rb.lists {
				names = append(names, k)
			}
			c.at(v, "%s.for_each: no list named %q under lists%s", what, name.v, suggest.DidYouMean(name.v, names))
			return nil
		}
		return list
	default:
		c.at(v, "%s.for_each: want a list of items or the name of a list, got %s", what, kindName(d))
		return nil
	}
}

// checkItems drops (and reports) bad and duplicate items of a list.
func checkItems(c *collector, what string, items []sval) []sval {
	out := items[:0:0]
	seen := map[string]*yaml.Node{}
	for _, it := range items {
		if !itemRe.MatchString(it.v) {
			c.at(it.n, "%s: bad item %q: want letters, digits, '.', '_' or '-'", what, it.v)
			continue
		}
		if first, dup := seen[it.v]; dup {
			c.at(it.n, "%s: duplicate item %q (first at %s)", what, it.v, pos(first))
			continue
		}
		seen[it.v] = it.n
		out = append(out, it)
	}
	return out
}

var (
	idRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	itemRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	serviceRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	itemTmpl  = regexp.MustCompile(`\{\{\s*item\s*\}\}`)
)

// firstBadLine returns the line after the longest prefix of src (in whole
// lines) that is valid YAML, or 0 for long sources (it parses once per line).
func firstBadLine(src []byte) int {
	lines := bytes.SplitAfter(src, []byte("\n"))
	if len(lines) > 400 {
		return 0
	}
	end := len(src)
	for k := len(lines) - 1; k >= 0; k-- {
		end -= len(lines[k])
		if parsesAll(src[:end]) {
			return k + 1
		}
	}
	return 1
}

func parsesAll(src []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}
