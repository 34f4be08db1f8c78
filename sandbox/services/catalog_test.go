package services

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckIDText(t *testing.T) {
	if err := checkIDText([]string{"11111111-0000-4000-8000-00000000000a", "café", ""}); err != nil {
		t.Fatalf("text refused: %v", err)
	}
	err := checkIDText([]string{"ok", "a\x00b", "caf\xe9"})
	if !errors.Is(err, errBadRequest) {
		t.Fatalf("got %v, want a bad request", err)
	}
	for _, want := range []string{`ids[1] "a\x00b" holds a NUL byte`, `ids[2] "caf\xe9" is not UTF-8 text`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	many := make([]string, 50)
	for i := range many {
		many[i] = "\x00"
	}
	if err := checkIDText(many); strings.Count(err.Error(), "NUL") != 10 || !strings.HasSuffix(err.Error(), "; ...") {
		t.Errorf("50 bad IDs: %v", err)
	}
}
