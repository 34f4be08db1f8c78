// Package printer writes a command's results for people (text: aligned
// tables, name/value cards, free lines) or for programs (JSON), with one
// Printer per command run and one output format for all it prints.
//
// In JSON mode only the structured values are written, each as one
// indented JSON document; the free text lines are left out, so that the
// output can be piped to jq. Table and card columns come from struct
// fields: the `text` tag names the column (default: the field name in
// capitals) and may add options after a comma: "right" aligns the column
// right, and an option starting with % is the fmt verb of its values.
// `text:"-"` keeps a field out of the text, `json:"-"` out of the JSON.
package printer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is an output format.
type Format string

// The output formats.
const (
	Text Format = "text"
	JSON Format = "json"
)

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Text, JSON:
		return f, nil
	}
	return "", fmt.Errorf("%q: want text or json", s)
}

// Printer writes to one writer in one format. The first write error is
// kept and returned by every later call, which then writes nothing.
type Printer struct {
	w      io.Writer
	format Format
	err    error
}

// New returns a printer of format f (text when empty) writing to w.
func New(w io.Writer, f Format) *Printer {
	if f == "" {
		f = Text
	}
	return &Printer{w: w, format: f}
}

// JSON says whether the printer writes JSON.
func (p *Printer) JSON() bool { return p.format == JSON }

// Err is the first write error.
func (p *Printer) Err() error { return p.err }

func (p *Printer) write(s string) error {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, s)
	}
	return p.err
}

// Printf writes text, or nothing in JSON mode. A write error is kept for
// Err and the calls that follow.
func (p *Printer) Printf(format string, a ...any) {
	if !p.JSON() {
		_ = p.write(fmt.Sprintf(format, a...))
	}
}

// Print writes v as JSON in JSON mode; in text mode it calls text, which
// writes v for people (with the printer's Table, Card and Printf, or to
// the writer it is given).
func (p *Printer) Print(v any, text func(w io.Writer) error) error {
	if p.JSON() {
		return p.writeJSON(v)
	}
	if p.err != nil {
		return p.err
	}
	if err := text(p.w); err != nil {
		return err
	}
	return p.err
}

func (p *Printer) writeJSON(v any) error {
	if p.err != nil {
		return p.err
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		v = []struct{}{} // an empty list is [], not null
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return p.write(b.String())
}

// TableOptions shape a text table.
type TableOptions struct {
	// Indent starts every line.
	Indent string
	// NoHeader leaves out the line of column names.
	NoHeader bool
	// TimeLayout formats time.Time values, in UTC (default time.RFC3339).
	TimeLayout string
}

// Table writes rows, a slice of structs (or of pointers to them): in text,
// a line of column names and one line a row, columns two spaces apart and
// no trailing blanks; in JSON, an array.
func (p *Printer) Table(rows any, o TableOptions) error {
	if p.JSON() {
		return p.writeJSON(rows)
	}
	rv := reflect.ValueOf(rows)
	if rv.Kind() != reflect.Slice {
		return fmt.Errorf("printer: Table wants a slice of structs, not %T", rows)
	}
	cols, err := columns(structType(rv.Type().Elem()))
	if err != nil {
		return err
	}
	var cells [][]string
	if !o.NoHeader {
		head := make([]string, len(cols))
		for i, c := range cols {
			head[i] = c.name
		}
		cells = append(cells, head)
	}
	for i := 0; i < rv.Len(); i++ {
		row := reflect.Indirect(rv.Index(i))
		line := make([]string, len(cols))
		for j, c := range cols {
			line[j] = c.text(row.FieldByIndex(c.index), o.TimeLayout)
		}
		cells = append(cells, line)
	}
	return p.write(align(cells, cols, o.Indent))
}

// CardOptions shape a text card.
type CardOptions struct {
	// Indent starts every line.
	Indent string
	// TimeLayout formats time.Time values, in UTC (default time.RFC3339).
	TimeLayout string
}

// Card writes v, a struct or Fields: in text, one "name  value" line a
// field, the values aligned; in JSON, an object.
func (p *Printer) Card(v any, o CardOptions) error {
	if p.JSON() {
		return p.writeJSON(v)
	}
	var cells [][]string
	if fs, ok := v.(Fields); ok {
		for _, f := range fs {
			cells = append(cells, []string{f.Name, f.Value})
		}
	} else {
		rv := reflect.Indirect(reflect.ValueOf(v))
		cols, err := columns(structType(rv.Type()))
		if err != nil {
			return err
		}
		for _, c := range cols {
			cells = append(cells, []string{c.name, c.text(rv.FieldByIndex(c.index), o.TimeLayout)})
		}
	}
	return p.write(align(cells, []column{{}, {}}, o.Indent))
}

// Field is one line of a card whose names are known only at run time.
type Field struct{ Name, Value string }

// Fields is a card of named values, in order; its JSON is an object.
type Fields []Field

// MarshalJSON writes the fields as one object, in order.
func (fs Fields) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Name)
		v, _ := json.Marshal(f.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// column is a struct field shown in a table or a card.
type column struct {
	name  string
	index []int
	right bool
	verb  string
}

func structType(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// columns reads the columns of struct type t from its fields' text tags.
func columns(t reflect.Type) ([]column, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("printer: want a struct, not %s", t)
	}
	var cols []column
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("text")
		if tag == "-" {
			continue
		}
		parts := strings.Split(tag, ",")
		c := column{name: parts[0], index: f.Index}
		if c.name == "" {
			c.name = strings.ToUpper(f.Name)
		}
		for _, opt := range parts[1:] {
			switch {
			case opt == "right":
				c.right = true
			case strings.HasPrefix(opt, "%"):
				c.verb = opt
			default:
				return nil, fmt.Errorf("printer: field %s: unknown text tag option %q", f.Name, opt)
			}
		}
		cols = append(cols, c)
	}
	if len(cols) == 0 {
		return nil, errors.New("printer: " + t.String() + " has no columns")
	}
	return cols, nil
}

// text is a field's value as the column shows it.
func (c column) text(v reflect.Value, timeLayout string) string {
	if c.verb != "" {
		return fmt.Sprintf(c.verb, v.Interface())
	}
	switch x := v.Interface().(type) {
	case time.Time:
		if x.IsZero() {
			return "-"
		}
		if timeLayout == "" {
			timeLayout = time.RFC3339
		}
		return x.UTC().Format(timeLayout)
	case []string:
		return strings.Join(x, ", ")
	}
	return fmt.Sprint(v.Interface())
}

// align lays out cells in columns two spaces apart, each line starting
// with indent and ending without blanks.
func align(cells [][]string, cols []column, indent string) string {
	widths := make([]int, len(cols))
	for _, line := range cells {
		for i, s := range line {
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	for _, line := range cells {
		var l strings.Builder
		l.WriteString(indent)
		for i, s := range line {
			if i > 0 {
				l.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s))
			if cols[i].right {
				l.WriteString(pad + s)
			} else {
				l.WriteString(s + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}
