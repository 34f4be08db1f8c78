package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input to switch-runbook is one line naming every problem, exit 2,
// before Temporal is dialled (the address here answers nothing).
func TestSwitchRunbookRefusesBadInputFirst(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("# nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := lazarus(t, "TEMPORAL_ADDRESS=127.0.0.1:1", "LAZARUS_OPERATOR=", "USER=")
	ctx := context.Background()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"b1"}, []string{"--runbook NAME|FILE is required", "--operator NAME is required"}},
		{[]string{"b1", "--runbook", "restore9", "--operator", "alice"}, []string{"--runbook restore9"}},
		{[]string{"b1", "--runbook", "restore2", "--operator", "alice", "--sites-file", empty}, []string{"--sites-file " + empty + ": no IDs"}},
	} {
		r := h.Run(t, ctx, append([]string{"batch", "switch-runbook"}, c.args...)...)
		if r.Code != 2 || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", c.args, r.Code, r.Stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.Stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, r.Stderr, w)
			}
		}
	}
}
