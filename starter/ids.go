package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
)

// idFileHelp ends the help of every flag that names a file of IDs.
const idFileHelp = ": one ID a line, or separated by commas or spaces; # comments; - for stdin"

// readIDFile reads the file of IDs that flag names (path "-": stdin). It
// takes one ID a line or several separated by commas or blanks; '#'
// starts a comment; blank lines, a UTF-8 byte-order mark and CRLF line
// ends are fine. Errors name the flag and the file.
func readIDFile(flag, path string, stdin io.Reader) ([]string, error) {
	r := stdin
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		defer fh.Close()
		r = fh
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return parseIDs(strings.TrimPrefix(string(raw), "\uFEFF")), nil
}

// requireIDFile is readIDFile for a list that must not be empty.
func requireIDFile(flag, path string, stdin io.Reader) ([]string, error) {
	ids, err := readIDFile(flag, path, stdin)
	if err == nil && len(ids) == 0 {
		err = fmt.Errorf("%s %s: no IDs", flag, path)
	}
	return ids, err
}

// collectIDs is the IDs of --ids-file (when given) and then of each --site
// value (which may hold several, as a line of the file may).
func collectIDs(file string, sites []string, stdin io.Reader) ([]string, error) {
	var ids []string
	if file != "" {
		var err error
		if ids, err = readIDFile("--ids-file", file, stdin); err != nil {
			return nil, err
		}
	}
	for _, s := range sites {
		ids = append(ids, parseIDs(s)...)
	}
	return ids, nil
}

// parseIDs splits text into IDs: commas, blanks and line ends separate
// them, and '#' comments out the rest of its line.
func parseIDs(s string) []string {
	var ids []string
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		ids = append(ids, strings.FieldsFunc(line, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
	}
	return ids
}
