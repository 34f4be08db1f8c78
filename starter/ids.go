package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// idFileHelp ends the help of every flag that names a file of IDs.
const idFileHelp = ": one ID a line, or separated by commas or spaces; # comments; - for stdin"

// maxIDFileBytes bounds a file of IDs: 64 MiB is over a million IDs.
const maxIDFileBytes = 64 << 20

// readIDFile reads the file of IDs that flag names (path "-": stdin). It
// takes one ID a line or several separated by commas or blanks; '#'
// starts a comment; blank lines, a UTF-8 byte-order mark and CRLF line
// ends are fine. A file that is not UTF-8 text (binary, UTF-16, Latin-1)
// is refused, naming the first byte that is not text. Errors name the flag
// and the file.
func readIDFile(flag, path string, stdin io.Reader) ([]string, error) {
	r := stdin
	name := path
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		defer fh.Close()
		r = fh
	} else {
		name = "- (standard input)"
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxIDFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, name, err)
	}
	if len(raw) > maxIDFileBytes {
		return nil, fmt.Errorf("%s %s: more than %d MiB: too large for a list of IDs", flag, name, maxIDFileBytes>>20)
	}
	if err := checkText(raw); err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, name, err)
	}
	return parseIDs(strings.TrimPrefix(string(raw), "\uFEFF")), nil
}

// checkText says why raw is not UTF-8 text, naming the first offending
// byte by offset, line and column; nil when it is text.
func checkText(raw []byte) error {
	switch {
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}), bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		return fmt.Errorf("is UTF-16 text (byte-order mark %02X %02X), not UTF-8: save it as UTF-8", raw[0], raw[1])
	}
	line, col := 1, 1
	for i := 0; i < len(raw); {
		r, n := rune(raw[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(raw[i:])
		}
		var why string
		switch {
		case r == utf8.RuneError && n <= 1:
			why = fmt.Sprintf("is not UTF-8 text: byte 0x%02X at %%s is not UTF-8; save the file as UTF-8", raw[i])
		case r == 0:
			why = "is a binary file, not a list of IDs: NUL byte at %s"
		case unicode.IsControl(r) && !strings.ContainsRune("\t\n\v\f\r\u0085", r):
			why = fmt.Sprintf("is a binary file, not a list of IDs: control character %U at %%s", r)
		}
		if why != "" {
			return fmt.Errorf(why, fmt.Sprintf("offset %d (line %d, column %d)", i, line, col))
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += n
	}
	return nil
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

// parseIDs splits text into IDs: commas, blanks (Unicode spaces too),
// line ends and zero-width characters separate them, and '#' comments out
// the rest of its line.
func parseIDs(s string) []string {
	var ids []string
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		ids = append(ids, strings.FieldsFunc(line, separator)...)
	}
	return ids
}

// separator says whether r separates IDs: a comma, a space of any kind,
// or a character that prints as nothing (zero-width space, a byte-order
// mark where files were joined).
func separator(r rune) bool {
	switch r {
	case ',', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return true
	}
	return unicode.IsSpace(r)
}
