package runbooks

import (
	"os"
	"strings"
	"testing"
)

// TestLanguageDocExample keeps the example of LANGUAGE.md valid.
func TestLanguageDocExample(t *testing.T) {
	doc, err := os.ReadFile("LANGUAGE.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	start := strings.Index(s, "```yaml\n")
	end := strings.Index(s[start+8:], "```")
	if start < 0 || end < 0 {
		t.Fatal("no yaml block in LANGUAGE.md")
	}
	p, err := Compile("LANGUAGE.md", []byte(s[start+8:start+8+end]))
	if err != nil {
		t.Fatalf("the example does not compile:\n%v", err)
	}
	want := []string{"clone-products", "undelete", "activate-jira", "activate-confluence", "restore-db-jira", "restore-db-confluence", "validate", "customer"}
	if got := ids(p); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("steps %v, want %v", got, want)
	}
}
