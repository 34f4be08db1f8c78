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
