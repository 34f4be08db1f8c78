package printer

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

type row struct {
	Name    string        `json:"name" text:"NAME"`
	Rate    float64       `json:"rate" text:"RATE,%.2f"`
	Count   int           `json:"count" text:"COUNT,right"`
	Took    time.Duration `json:"-" text:"TOOK"`
	At      time.Time     `json:"at"`
	Hidden  string        `json:"hidden" text:"-"`
	Tags    []string      `json:"tags,omitempty" text:"TAGS"`
	private string
}

var at = time.Date(2022, 4, 5, 7, 38, 0, 0, time.FixedZone("X", 3600))

func TestTableText(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, Text)
	rows := []row{
		{Name: "vendors", Rate: 0.5, Count: 7, Took: 250 * time.Millisecond, At: at, Hidden: "x", Tags: []string{"a", "b"}},
		{Name: "catalog…", Rate: 0, Count: 12345, private: "y"},
	}
	if err := p.Table(rows, TableOptions{Indent: "  ", TimeLayout: "2006-01-02 15:04:05"}); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"  NAME      RATE  COUNT  TOOK   AT                   TAGS\n" +
		"  vendors   0.50      7  250ms  2022-04-05 06:38:00  a, b\n" +
		"  catalog…  0.00  12345  0s     -\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	if err := p.Table([]*row{{Name: "a"}}, TableOptions{NoHeader: true}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "a  0.00  0  0s  -\n" {
		t.Fatalf("no header, pointers: %q", got)
	}
}

func TestTableJSON(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, JSON)
	p.Printf("not in JSON\n")
	if err := p.Table([]row{{Name: "vendors", Rate: 0.5, At: at}}, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(got) != 1 || got[0]["name"] != "vendors" || got[0]["hidden"] != "" || got[0]["Took"] != nil {
		t.Fatalf("%v", got)
	}
	if !strings.HasPrefix(b.String(), "[\n  {\n    \"name\"") || !strings.HasSuffix(b.String(), "]\n") {
		t.Fatalf("not indented:\n%s", b.String())
	}

	b.Reset()
	var none []row
	if err := p.Table(none, TableOptions{}); err != nil || b.String() != "[]\n" {
		t.Fatalf("empty list: %v %q", err, b.String())
	}
}

func TestCard(t *testing.T) {
	type card struct {
		Workflow string `json:"workflow" text:"workflow"`
		WebUI    string `json:"web_ui" text:"Web UI"`
	}
	var b bytes.Buffer
	if err := New(&b, Text).Card(card{"lazarus-batch-t1", "http://ui"}, CardOptions{Indent: "  "}); err != nil {
		t.Fatal(err)
	}
	if want := "  workflow  lazarus-batch-t1\n  Web UI    http://ui\n"; b.String() != want {
		t.Fatalf("%q", b.String())
	}
	b.Reset()
	fs := Fields{{"postgres platform", "127.0.0.1:1"}, {"catalog", "http://c"}}
	if err := New(&b, Text).Card(fs, CardOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "postgres platform  127.0.0.1:1\ncatalog            http://c\n"; b.String() != want {
		t.Fatalf("%q", b.String())
	}
	b.Reset()
	if err := New(&b, JSON).Card(fs, CardOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"postgres platform\": \"127.0.0.1:1\",\n  \"catalog\": \"http://c\"\n}\n"; b.String() != want {
		t.Fatalf("%q", b.String())
	}
}

func TestPrint(t *testing.T) {
	v := struct {
		A int `json:"a"`
	}{7}
	text := func(w io.Writer) error {
		_, err := io.WriteString(w, "a is 7\n")
		return err
	}
	var b bytes.Buffer
	if err := New(&b, Text).Print(v, text); err != nil || b.String() != "a is 7\n" {
		t.Fatalf("text: %v %q", err, b.String())
	}
	b.Reset()
	if err := New(&b, JSON).Print(v, text); err != nil || b.String() != "{\n  \"a\": 7\n}\n" {
		t.Fatalf("json: %v %q", err, b.String())
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"text", "json"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("%s: %v %v", s, f, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || err.Error() != `"yaml": want text or json` {
		t.Errorf("yaml: %v", err)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(b []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestWriteErrorKept(t *testing.T) {
	w := &failWriter{}
	p := New(w, Text)
	p.Printf("one\n")
	p.Printf("two\n")
	if err := p.Table([]row{{}}, TableOptions{}); err == nil || p.Err() == nil || w.n != 1 {
		t.Fatalf("err %v, %d writes", err, w.n)
	}
}

func TestBadRows(t *testing.T) {
	p := New(io.Discard, Text)
	if err := p.Table([]int{1}, TableOptions{}); err == nil {
		t.Error("a slice of ints printed as a table")
	}
	if err := p.Table(row{}, TableOptions{}); err == nil {
		t.Error("a struct printed as a table")
	}
	type bad struct {
		A string `text:"A,left"`
	}
	if err := p.Table([]bad{{}}, TableOptions{}); err == nil {
		t.Error("unknown tag option accepted")
	}
}
