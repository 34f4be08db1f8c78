package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadIDFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"one a line", "site-1\nsite-2\n", []string{"site-1", "site-2"}},
		{"comments and blanks", "# the script's list\nsite-1\n\n  site-2  # trailing comment\n   \n#\n", []string{"site-1", "site-2"}},
		{"commas and spaces", "site-1,site-2 site-3\tsite-4, site-5", []string{"site-1", "site-2", "site-3", "site-4", "site-5"}},
		{"CRLF", "site-1\r\nsite-2\r\n", []string{"site-1", "site-2"}},
		{"byte-order mark", "\uFEFFsite-1\r\nsite-2", []string{"site-1", "site-2"}},
		{"byte-order mark then comment", "\uFEFF# list\nsite-1", []string{"site-1"}},
		{"no final line end", "site-1", []string{"site-1"}},
		{"as a spreadsheet saves it", "\uFEFFsite-1,site-2\r\nsite-3 , site-4\r\n# done\r\n", []string{"site-1", "site-2", "site-3", "site-4"}},
		{"files joined with their marks", "site-1\n\uFEFFsite-2\n", []string{"site-1", "site-2"}},
		{"zero-width and no-break spaces", "site-1\u200Bsite-2\u00A0site-3\u2060site-4", []string{"site-1", "site-2", "site-3", "site-4"}},
		{"tabs and semicolon-free CSV", "site-1\tsite-2,,site-3,\r\n", []string{"site-1", "site-2", "site-3"}},
		{"only comments", "# nothing\n\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".txt")
			if err := os.WriteFile(f, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readIDFile("--ids-file", f, nil)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}

	got, err := readIDFile("--ids-file", "-", strings.NewReader("site-1\nsite-2,site-3\n"))
	if err != nil || !reflect.DeepEqual(got, []string{"site-1", "site-2", "site-3"}) {
		t.Fatalf("stdin: %q, %v", got, err)
	}
	missing := filepath.Join(dir, "missing.txt")
	if _, err := readIDFile("--exclude-file", missing, nil); err == nil || !strings.HasPrefix(err.Error(), "--exclude-file: open "+missing) {
		t.Fatalf("missing file: %v", err)
	}
}

// Files that are not UTF-8 text are refused before anything is looked up,
// naming the file and where the first byte that is not text is.
func TestReadIDFileRefusesWhatIsNotText(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"binary", []byte("site-1\nsite-2\x00\x01\x02ELF"), "is a binary file, not a list of IDs: NUL byte at offset 13 (line 2, column 7)"},
		{"latin1", []byte("site-1\r\ncaf\xe9-site\r\n"), "is not UTF-8 text: byte 0xE9 at offset 11 (line 2, column 4) is not UTF-8; save the file as UTF-8"},
		{"utf16", []byte("\xff\xfes\x00i\x00"), "is UTF-16 text (byte-order mark FF FE), not UTF-8: save it as UTF-8"},
		{"escape", []byte("site-1\x1b[0m\n"), "is a binary file, not a list of IDs: control character U+001B at offset 6 (line 1, column 7)"},
		{"after a BOM", []byte("\xef\xbb\xbfsite-1\n\xc3"), "is not UTF-8 text: byte 0xC3 at offset 10 (line 2, column 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, tc.name+".txt")
			if err := os.WriteFile(f, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readIDFile("--ids-file", f, nil)
			if err == nil || !strings.HasPrefix(err.Error(), "--ids-file "+f+": "+tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got  %v\nwant --ids-file %s: %s", err, f, tc.want)
			}
		})
	}
	_, err := readIDFile("--ids-file", "-", strings.NewReader("a\x00"))
	if err == nil || !strings.HasPrefix(err.Error(), "--ids-file - (standard input): is a binary file") {
		t.Fatalf("stdin: %v", err)
	}
}

func FuzzParseIDs(f *testing.F) {
	for _, s := range []string{"\uFEFFsite-1\r\nsite-2", "a,b c#d\ne", "", "\x00", "caf\xe9", "a\u200Bb"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if checkText(raw) != nil {
			return
		}
		for _, id := range parseIDs(strings.TrimPrefix(string(raw), "\uFEFF")) {
			if id == "" || strings.ContainsAny(id, ",#\r\n\t \uFEFF\u200B") {
				t.Fatalf("ID %q from %q", id, raw)
			}
		}
	})
}

func TestRequireIDFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(f, []byte("\uFEFF# none\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := requireIDFile("--intended-file", f, nil); err == nil || err.Error() != "--intended-file "+f+": no IDs" {
		t.Fatalf("empty file: %v", err)
	}
}

func TestCollectIDs(t *testing.T) {
	f := filepath.Join(t.TempDir(), "ids.txt")
	if err := os.WriteFile(f, []byte("site-1\nsite-2 # more\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := collectIDs(f, []string{"site-5", "site-6 site-7,site-8"}, nil)
	want := []string{"site-1", "site-2", "site-5", "site-6", "site-7", "site-8"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, %v", got, err)
	}
	if got, err := collectIDs("", nil, nil); err != nil || len(got) != 0 {
		t.Fatalf("nothing: %q, %v", got, err)
	}
	if _, err := collectIDs(filepath.Join(t.TempDir(), "missing.txt"), nil, nil); err == nil || !strings.HasPrefix(err.Error(), "--ids-file: ") {
		t.Fatalf("missing file: %v", err)
	}
}
