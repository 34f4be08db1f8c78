package workflows

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// packPlan is the plan as gzip-compressed JSON, for a site's input. A
// Restore 2 plan is about 17 KB of JSON and 2 KB packed; the batch starts
// hundreds of sites per run, and each child's input is written to the
// batch's history and to the persistence of the server, so the batch passes
// the plan packed. Pure computation: deterministic (encoding/json writes
// map keys sorted, which workflowcheck cannot see).
//
//workflowcheck:ignore
func packPlan(p runbooks.Plan) ([]byte, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("pack plan %q: %w", p.Runbook, err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("pack plan %q: %w", p.Runbook, err)
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("pack plan %q: %w", p.Runbook, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pack plan %q: %w", p.Runbook, err)
	}
	return buf.Bytes(), nil
}

// unpackPlan reads a plan packed by packPlan (pure computation).
//
//workflowcheck:ignore
func unpackPlan(packed []byte) (runbooks.Plan, error) {
	var p runbooks.Plan
	zr, err := gzip.NewReader(bytes.NewReader(packed))
	if err != nil {
		return p, fmt.Errorf("unpack plan: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return p, fmt.Errorf("unpack plan: %w", err)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("unpack plan: %w", err)
	}
	return p, nil
}
