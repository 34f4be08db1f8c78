package preflight

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxIDLength is the longest ID the preflight looks up, in bytes: far
// longer than any site ID (a UUID has 36), short enough that a line of
// garbage is named as such instead of being sent to the platform.
const MaxIDLength = 256

// screen drops blanks and repeats, and IDs that cannot be IDs, before any
// lookup; it returns the IDs left, once each, in order.
func screen(ids []string) (unique []string, problems []Problem) {
	seen := make(map[string]int, len(ids))
	for i, raw := range ids {
		id := strings.TrimSpace(raw)
		if id == "" {
			problems = append(problems, Problem{Kind: KindEmpty, Reason: fmt.Sprintf("ID #%d is empty", i+1)})
			continue
		}
		if why := malformed(id); why != "" {
			problems = append(problems, Problem{ID: id, Kind: KindMalformed, Reason: fmt.Sprintf("ID #%d is not an ID: %s", i+1, why)})
			continue
		}
		if first, ok := seen[id]; ok {
			problems = append(problems, Problem{ID: id, Kind: KindDuplicate,
				Reason: fmt.Sprintf("duplicate: given as ID #%d and again as ID #%d", first, i+1)})
			continue
		}
		seen[id] = i + 1
		unique = append(unique, id)
	}
	return unique, problems
}

// malformed says why id cannot be an ID, or "" when it may be one.
func malformed(id string) string {
	if !utf8.ValidString(id) {
		for i := 0; i < len(id); {
			r, n := utf8.DecodeRuneInString(id[i:])
			if r == utf8.RuneError && n <= 1 {
				return fmt.Sprintf("byte 0x%02X at offset %d is not UTF-8 text", id[i], i)
			}
			i += n
		}
	}
	for i, r := range id {
		switch {
		case unicode.IsControl(r):
			return fmt.Sprintf("it holds the control character %U at offset %d (binary data?)", r, i)
		case invisible(r):
			return fmt.Sprintf("it holds the invisible character %U at offset %d", r, i)
		}
	}
	if len(id) > MaxIDLength {
		return fmt.Sprintf("it is %d bytes long; an ID has at most %d", len(id), MaxIDLength)
	}
	return ""
}

// invisible says whether r prints as nothing: a zero-width space or joiner,
// a byte-order mark inside the text, a soft hyphen, a direction mark.
func invisible(r rune) bool {
	switch r {
	case '\u00AD', '\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u2060', '\uFEFF':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// display is id as it can be printed on one line: as it is when it is
// plain text, else quoted with escapes; long IDs are cut.
func display(id string) string {
	plain := utf8.ValidString(id)
	for _, r := range id {
		if !plain || !unicode.IsPrint(r) || invisible(r) {
			plain = false
			break
		}
	}
	if len(id) > 80 {
		cut := 80
		for cut > 0 && !utf8.RuneStart(id[cut]) {
			cut--
		}
		id = id[:cut]
		if plain {
			return id + "..."
		}
		return strconv.QuoteToASCII(id) + "..."
	}
	if plain {
		return id
	}
	return strconv.QuoteToASCII(id)
}
