// Package workflows holds Lazarus's two Temporal workflows: RestoreSite runs
// one site's compiled runbook plan as a graph of activities (with parking,
// operator decisions and gates), and RestoreBatch fans sites out in a sliding
// window, runs the plan's batch-scoped steps once per batch, and continues as
// new to stay within Temporal's history limits.
//
// Everything here is workflow code: it must never do I/O, read the wall clock
// (use workflow.Now), start native goroutines (use workflow.Go) or range over
// a map without sorting its keys (workflow.DeterministicKeys). It imports the
// SDK and plain data only (package contract for the step's input and output,
// package runbooks for the compiled plan), never an adapter: the activities
// it calls are addressed by their action names alone.
package workflows
