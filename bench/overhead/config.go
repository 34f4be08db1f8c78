package main

import (
	"fmt"
	"strings"
	"time"
)

// config is what the flags ask for.
type config struct {
	sites, window, runs int
	runbook, address    string
	// perRun is -children-per-run.
	perRun int
	// lazarus and plain say which programs -programs asked for.
	lazarus, plain bool
}

// check reads -programs and checks the numbers.
func (c *config) check(programs string, timeout time.Duration) error {
	switch {
	case c.sites <= 0:
		return fmt.Errorf("-sites %d: want at least 1", c.sites)
	case c.window <= 0:
		return fmt.Errorf("-window %d: want at least 1", c.window)
	case c.runs <= 0:
		return fmt.Errorf("-runs %d: want at least 1", c.runs)
	case c.perRun < 0:
		return fmt.Errorf("-children-per-run %d: want 0 (the default) or more", c.perRun)
	case timeout < 0:
		return fmt.Errorf("-timeout %s: want 0 (automatic) or a positive duration", timeout)
	}
	for _, p := range strings.Split(programs, ",") {
		switch strings.TrimSpace(p) {
		case "lazarus":
			c.lazarus = true
		case "plain":
			c.plain = true
		default:
			return fmt.Errorf("-programs %q: want lazarus, plain or lazarus,plain", programs)
		}
	}
	return nil
}

// defaultTimeout is 15 minutes, or 600 ms per site for each program and
// run when that is longer. A 10,000-site no-op batch ran at 2.9 sites/s
// here (0.34 s a site) and was cut at 300 ms a site, 50 minutes, with
// about 7,500 sites done (2026-11-29): twice the measured pace leaves room.
func (c config) defaultTimeout() time.Duration {
	programs := 0
	if c.lazarus {
		programs++
	}
	if c.plain {
		programs++
	}
	return max(15*time.Minute, time.Duration(c.sites*c.runs*programs)*600*time.Millisecond)
}
