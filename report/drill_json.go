package report

import (
	"encoding/json"
	"io"
)

// DrillJSON writes a drill's report as indented JSON: its drill.Result
// with the regressions filled in. It has at least drill_id, runbook,
// sites (site_id, validated, rto_seconds, rpo_seconds, steps with step_id
// and seconds), production_unchanged, cleaned_up and regressions; sites,
// steps and regressions are arrays, never null.
func DrillJSON(w io.Writer, r DrillReport) error {
	res := normalized(r.Result)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
