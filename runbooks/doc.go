// Package runbooks is the runbook language of Lazarus: it parses runbook YAML
// files, validates them (reporting every problem at once with FILE:LINE:COL),
// and compiles them into a Plan, the plain-data input of the restore
// workflows. It also embeds the default runbooks (restore1, restore2) and
// holds the closed registry of runbook actions.
//
// This package must never do I/O beyond reading a runbook file the caller
// names, never talk to Temporal or to any restored system, and never hold
// orchestration logic: it only turns text into a checked, deterministic plan.
package runbooks
