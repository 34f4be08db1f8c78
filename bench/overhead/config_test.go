package main

import (
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

func TestConfigCheck(t *testing.T) {
	c := config{sites: 10000, window: 200, runs: 1}
	if err := c.check("lazarus", 0); err != nil || !c.lazarus || c.plain {
		t.Fatalf("-programs lazarus: lazarus %v plain %v err %v", c.lazarus, c.plain, err)
	}
	if got := c.defaultTimeout(); got != 100*time.Minute {
		t.Errorf("timeout for 10,000 sites, one program = %s, want 100m", got)
	}
	c = config{sites: 883, window: 200, runs: 1}
	if err := c.check("lazarus,plain", 0); err != nil || c.defaultTimeout() != 883*2*600*time.Millisecond {
		t.Errorf("883 sites, both programs: timeout %s, err %v; want 17m39.6s", c.defaultTimeout(), err)
	}
	c = config{sites: 100, window: 200, runs: 1}
	if err := c.check("lazarus,plain", 0); err != nil || c.defaultTimeout() != 15*time.Minute {
		t.Errorf("100 sites, both programs: timeout %s, err %v; want 15m", c.defaultTimeout(), err)
	}
	for _, bad := range []struct {
		c        config
		programs string
		want     string
	}{
		{config{sites: 10, window: 1, runs: 1}, "lazarus,sdk", "-programs"},
		{config{sites: 0, window: 1, runs: 1}, "lazarus", "-sites 0"},
		{config{sites: 1, window: 0, runs: 1}, "lazarus", "-window 0"},
		{config{sites: 1, window: 1, runs: 0}, "lazarus", "-runs 0"},
	} {
		if err := bad.c.check(bad.programs, 0); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v %q: err %v, want one naming %s", bad.c, bad.programs, err, bad.want)
		}
	}
}

func TestSizeFailure(t *testing.T) {
	if _, ok := sizeFailure(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE, ""); !ok {
		t.Error("payloads too large: not a limit")
	}
	if _, ok := sizeFailure(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, "Blob data size exceeds limit."); !ok {
		t.Error("a blob over the size limit: not a limit")
	}
	if _, ok := sizeFailure(enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR, "nondeterministic workflow"); ok {
		t.Error("a nondeterminism error counted as a limit")
	}
}
