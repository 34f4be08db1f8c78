package clitest

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

func fakeMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	in, _ := io.ReadAll(stdin)
	wd, _ := os.Getwd()
	fmt.Fprintf(stdout, "args %s; stdin %q\n", strings.Join(args, " "), in)
	fmt.Fprintf(stderr, "env %s; dir %s\n", os.Getenv("CLITEST_X"), wd)
	fmt.Fprintln(stdout, "done")
	return len(args)
}

func TestHarness(t *testing.T) {
	dir := t.TempDir()
	h := Harness{Main: fakeMain, Dir: dir, Env: []string{"CLITEST_X=a=b"}, Stdin: "ids"}
	r := h.Run(t, context.Background(), "one", "two")
	if r.Code != 2 {
		t.Errorf("code %d", r.Code)
	}
	if r.Stdout != "args one two; stdin \"ids\"\ndone\n" {
		t.Errorf("stdout %q", r.Stdout)
	}
	wd, _ := os.Getwd()
	if r.Stderr != "env a=b; dir "+wd+"\n" || wd != dir {
		t.Errorf("stderr %q (dir %s)", r.Stderr, dir)
	}
	if r.Output != "args one two; stdin \"ids\"\nenv a=b; dir "+wd+"\ndone\n" {
		t.Errorf("output not interleaved: %q", r.Output)
	}
}
