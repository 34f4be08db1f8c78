// Package drill is the plain data and the pure functions of a scheduled DR
// drill: what a drill is asked to do (Input), what its activities take and
// give (Prepare*, Checksums*, Cleanup*, Collect*), what it found (Result),
// the stratified sample of live sites, and the regressions against earlier
// drills.
//
// A drill restores a sample of live sites with a runbook into isolated drill
// copies under new IDs (the Restore 1 path: catalog.create_site with Drill
// set, every ID remapped), validates each copy against its source site's
// state at the restore point, measures RTO and RPO, proves that no
// production tenant changed, and always removes every copy.
//
// This package must never do I/O, read a clock or start a goroutine: the
// DrillRun workflow imports it.
package drill
