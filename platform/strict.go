package platform

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a platform description file, at a
// position in it: "FILE:LINE:COL: message". Line and Col are 1-based; a
// Col of 0 is a position known to the line only, a Line of 0 one not
// known at all.
type Problem struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
	Msg  string `json:"message"`
}

// Error is the problem in one line, its position first.
func (p Problem) Error() string {
	switch {
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	case p.Col == 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// ProblemList is every problem of a description file, in file order; it
// prints one a line.
type ProblemList []Problem

func (l ProblemList) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// required are the fields a description must give, by struct type: a
// field missing, null or empty is a problem. A cluster's host and user have
// defaults (127.0.0.1, postgres), and a derived store may have no tables
// (Validate), so neither is required; Media, Services, Webhooks and the
// backup kinds' sections are optional as a whole, but when one is given,
// its required fields are.
var required = map[reflect.Type][]string{
	reflect.TypeOf(Description{}): {"name"},
	reflect.TypeOf(Cluster{}):     {"name", "port"},
	reflect.TypeOf(Store{}):       {"name", "cluster", "database", "tenant_column"},
	reflect.TypeOf(Table{}):       {"name"},
	reflect.TypeOf(Webhook{}):     {"name", "url"},
	reflect.TypeOf(PGBackRest{}):  {"stanza"},
	reflect.TypeOf(RDS{}):         {"region"},
}

// secretFields are field names that would carry a secret. None is a field
// of the description (a field of that name in a struct is decoded as
// usual): a file that has one is refused, saying where the secret comes
// from instead.
var secretFields = map[string]bool{
	"password": true, "passwd": true, "pgpassword": true, "secret": true,
	"secret_key": true, "secret_access_key": true, "aws_secret_access_key": true,
	"access_key": true, "access_key_id": true, "aws_access_key_id": true,
	"session_token": true, "aws_session_token": true, "token": true, "api_key": true,
}

var durationType = reflect.TypeOf(time.Duration(0))

// Parse decodes a platform description strictly: the YAML is walked
// against the Description's types before anything is decoded, and an
// unknown field, a value of the wrong type, a missing required field or a
// secret each become one Problem naming its line and column, all of them
// at once (a ProblemList). Only a file without any is decoded and checked
// by Validate, whose problems are positioned the same way. file names the
// file in the problems.
func Parse(file string, raw []byte) (*Description, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, ProblemList{syntaxProblem(file, err)}
	}
	w := walker{file: file, pos: map[string]*yaml.Node{}}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == 0 || root.Kind == yaml.DocumentNode || (root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		return nil, ProblemList{{File: file, Line: 1, Col: 1, Msg: "the platform description is empty"}}
	}
	w.walk(root, reflect.TypeOf(Description{}), "", topWhere)
	if len(w.problems) > 0 {
		return nil, byPosition(w.problems)
	}
	var d Description
	if err := root.Decode(&d); err != nil {
		// The walk accepts only what decodes; this is a walker's gap.
		return nil, ProblemList{{File: file, Msg: fmt.Sprintf("cannot decode: %v", err)}}
	}
	if err := d.Validate(); err != nil {
		return nil, w.position(err)
	}
	return &d, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem is a YAML syntax error as a problem at its line.
func syntaxProblem(file string, err error) Problem {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: line, Msg: "not YAML: " + m[2]}
	}
	return Problem{File: file, Msg: "not YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// walker collects the problems of one file, and the node of every path it
// walked (clusters[1].port) so that Validate's problems get positions.
type walker struct {
	file     string
	problems ProblemList
	pos      map[string]*yaml.Node
}

func (w *walker) add(n *yaml.Node, format string, args ...any) {
	w.problems = append(w.problems, Problem{File: w.file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// walk checks node n against type t. path is its Validate path, where the
// words naming it in a message ("cluster \"products\"").
func (w *walker) walk(n *yaml.Node, t reflect.Type, path, where string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	w.pos[path] = n
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if isNull(n) {
		return // the zero value; required fields are checked by their parent
	}
	switch {
	case t == durationType:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			w.add(n, "%s: want a duration such as 720h or 30m, got %s", where, describeNode(n))
		} else if _, err := time.ParseDuration(n.Value); err != nil {
			w.add(n, "%s: %q is not a duration (write it like 720h or 30m)", where, n.Value)
		}
	case t.Kind() == reflect.Struct:
		w.walkStruct(n, t, path, where)
	case t.Kind() == reflect.Slice:
		w.walkList(n, t, path, where)
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			w.add(n, "%s: want a text value, got %s", where, describeNode(n))
		}
	case t.Kind() == reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			w.add(n, "%s: want a whole number, got %s", where, describeNode(n))
		}
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			w.add(n, "%s: want true or false, got %s", where, describeNode(n))
		}
	default:
		w.add(n, "%s: the strict parser does not know type %s", where, t)
	}
}

// walkList checks a sequence of t's elements; an element with a name is
// called by it ("cluster \"products\""), else by its index.
func (w *walker) walkList(n *yaml.Node, t reflect.Type, path, where string) {
	if n.Kind != yaml.SequenceNode {
		w.add(n, "%s: want a list, got %s", where, describeNode(n))
		return
	}
	noun := singular(lastWord(path))
	for i, el := range n.Content {
		elPath := fmt.Sprintf("%s[%d]", path, i)
		elWhere := fmt.Sprintf("%s[%d]", where, i)
		if name := nameOf(el); name != "" && structElem(t) {
			elWhere = fmt.Sprintf("%s %q", noun, name)
			if parent := ownerOf(where); parent != "" {
				elWhere += " of " + parent
			}
		}
		w.walk(el, t.Elem(), elPath, elWhere)
	}
}

// walkStruct checks a mapping against struct t's yaml fields: unknown
// fields, secrets, fields given twice, then each value, then the required
// fields.
func (w *walker) walkStruct(n *yaml.Node, t reflect.Type, path, where string) {
	if n.Kind != yaml.MappingNode {
		w.add(n, "%s: want a mapping of fields, got %s", where, describeNode(n))
		return
	}
	fields := yamlFields(t)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" {
			continue // a merge key: its mapping is checked where it is defined
		}
		f, known := fields[k.Value]
		switch {
		case !known && secretFields[strings.ToLower(k.Value)]:
			w.add(k, "field %q in %s: secrets are never in the platform description; %s", k.Value, where, secretSource(t))
			continue
		case !known:
			w.add(k, "unknown field %q in %s%s", k.Value, where, didYouMean(k.Value, fields))
			continue
		}
		if first, twice := seen[k.Value]; twice {
			w.add(k, "field %q given twice in %s (first at line %d)", k.Value, where, first.Line)
			continue
		}
		seen[k.Value] = k
		w.walk(v, f.Type, join(path, k.Value), fieldWhere(k.Value, where))
	}
	for _, name := range required[t] {
		k, given := seen[name]
		switch {
		case !given:
			w.add(n, "missing required field %q in %s", name, where)
		case isEmpty(w.pos[join(path, name)]):
			w.add(k, "required field %q in %s is empty", name, where)
		}
	}
}

// position gives each of Validate's problems the position of the field it
// names, when it names one the walk saw.
func (w *walker) position(err error) ProblemList {
	var out ProblemList
	for _, e := range flatten(err) {
		p := Problem{File: w.file, Msg: e.Error()}
		if fe, ok := e.(*FieldError); ok {
			if n := w.pos[fe.Path]; n != nil {
				p.Line, p.Col = n.Line, n.Column
			}
		}
		out = append(out, p)
	}
	return byPosition(out)
}

// byPosition sorts problems in file order (those without a line last).
func byPosition(l ProblemList) ProblemList {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return l
}

// secretSource says where the secrets of a section come from instead.
func secretSource(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(Cluster{}):
		return "the worker reads the password from the cluster's passfile, or PGPASSFILE, PGPASSWORD or ~/.pgpass in its environment (IAM authentication for RDS)"
	case reflect.TypeOf(Media{}):
		return "the worker takes S3 keys from the media's credentials_file and profile, or the AWS default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in its environment, SSO, IRSA)"
	}
	return "the worker reads them from its environment or from a file the description names"
}

// FieldError is a problem Validate finds with one field, named by its path
// in the file (clusters[1].port), so that Parse can say where it is.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Msg }

// fieldErr is a FieldError at path.
func fieldErr(path, format string, args ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}
