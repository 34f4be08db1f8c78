// Package workflows holds Lazarus's two Temporal workflows: RestoreSite runs
// one site's compiled runbook plan as a graph of activities (with parking,
// operator decisions and gates), and RestoreBatch fans sites out in a sliding
// window, runs the plan's batch-scoped steps once per batch, and continues as
// new to stay within Temporal's history limits.
//
// Everything here is workflow code: it must never do I/O, read the wall clock
// (use workflow.Now), start native goroutines (use workflow.Go) or range over
// a map without sorting its keys. The activities it calls live in package
// activities and are addressed only by their action names.
package workflows
