package platform

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/lazarus-dr/lazarus/internal/suggest"
	"gopkg.in/yaml.v3"
)

// The strict parser's small helpers: YAML nodes, field names, and the words
// of its messages.

// topWhere names the whole file in a message.
const topWhere = "the platform description"

// yamlFields are struct t's fields by their YAML names.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

// didYouMean is " (did you mean \"x\"?)" for the known field closest to an
// unknown one, or the list of known fields when none is close.
func didYouMean(unknown string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	if best := suggest.Nearest(strings.ToLower(unknown), names); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (known fields: " + strings.Join(names, ", ") + ")"
}

// isNull says whether n is absent or YAML's null.
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// isEmpty says whether n gives no value: null, "", [] or {}.
func isEmpty(n *yaml.Node) bool {
	if isNull(n) {
		return true
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value == ""
	case yaml.SequenceNode, yaml.MappingNode:
		return len(n.Content) == 0
	}
	return false
}

// describeNode is what a node is, for "want X, got Y".
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// nameOf is the name field of a mapping, if it has one.
func nameOf(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// structElem says whether slice type t holds structs.
func structElem(t reflect.Type) bool {
	e := t.Elem()
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	return e.Kind() == reflect.Struct
}

// join is path.key ("clusters[1]" + "port").
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lastWord is the last key of a path, without an index.
func lastWord(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.IndexByte(path, '['); i >= 0 {
		path = path[:i]
	}
	return path
}

// singular is the word for one element of a list field (clusters: cluster).
func singular(list string) string { return strings.TrimSuffix(list, "s") }

// fieldWhere names a field in a message: "port of cluster \"products\"".
func fieldWhere(key, where string) string {
	if where == topWhere {
		return key
	}
	return key + " of " + where
}

// ownerOf is what a list field belongs to: "store \"catalog\"" for
// "tables of store \"catalog\"", empty for a top-level list.
func ownerOf(where string) string {
	_, owner, _ := strings.Cut(where, " of ")
	return owner
}

// flatten is the errors of a multierror, or err alone.
func flatten(err error) []error {
	var m *multierror.Error
	if errors.As(err, &m) {
		return m.Errors
	}
	return []error{err}
}
