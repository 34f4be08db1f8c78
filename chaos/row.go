package chaos

import (
	"fmt"
	"io"
	"time"

	"github.com/lazarus-dr/lazarus/internal/printer"
)

// Row is one scenario's line of the table.
type Row struct {
	N        int    `json:"scenario" text:"#"`
	Scenario string `json:"name" text:"SCENARIO"`
	Sites    int    `json:"sites" text:"SITES,right"`
	// Restored counts the sites the batch reports restored.
	Restored int `json:"restored" text:"RESTORED,right"`
	// Verified counts the sites `lazarus sandbox verify` finds equal to
	// their truth.
	Verified int `json:"verified" text:"VERIFIED,right"`
	// Duplicated counts rows beyond the truth (must be 0).
	Duplicated int64 `json:"rows_duplicated" text:"ROWS DUPLICATED,right"`
	// OthersChanged counts other tenants that differ (must be 0).
	OthersChanged int `json:"other_tenants_changed" text:"OTHER TENANTS CHANGED,right"`
	// LongestWait is the longest recovery wait of any step (see Wait).
	LongestWait time.Duration `json:"longest_recovery_wait" text:"LONGEST RECOVERY WAIT,right"`
	// WaitBound is the most LongestWait may be.
	WaitBound time.Duration `json:"recovery_wait_bound" text:"-"`
	Took      time.Duration `json:"took" text:"TOOK,right"`
	Result    string        `json:"result" text:"RESULT"`
	// WaitAt says which step waited longest, and after what.
	WaitAt string `json:"longest_recovery_wait_at,omitempty" text:"-"`
	// Notes say what the scenario did, in order.
	Notes []string `json:"notes,omitempty" text:"-"`
	// Failures say why the scenario failed (none: it passed).
	Failures []string `json:"failures,omitempty" text:"-"`
	// Dir is the scenario's folder (logs, histories' waits, verify report).
	Dir string `json:"dir" text:"-"`
}

// Pass says whether the scenario passed.
func (r Row) Pass() bool { return len(r.Failures) == 0 && r.Result == "pass" }

// WriteTable writes the rows as a table, then each scenario's notes and
// failures.
func WriteTable(w io.Writer, rows []Row) error {
	p := printer.New(w, printer.Text)
	if err := p.Table(rows, printer.TableOptions{}); err != nil {
		return err
	}
	for _, r := range rows {
		p.Printf("\n%d. %s: %s (%s)\n", r.N, r.Scenario, r.Result, r.Dir)
		if r.WaitAt != "" {
			p.Printf("   longest recovery wait %s (at most %s): %s\n", r.LongestWait, r.WaitBound, r.WaitAt)
		}
		for _, n := range r.Notes {
			p.Printf("   - %s\n", n)
		}
		for _, f := range r.Failures {
			p.Printf("   FAIL %s\n", f)
		}
	}
	return p.Err()
}

// failedRows counts the rows that did not pass.
func failedRows(rows []Row) int {
	n := 0
	for _, r := range rows {
		if !r.Pass() {
			n++
		}
	}
	return n
}

// Summary is one line on the whole run.
func Summary(rows []Row) string {
	if n := failedRows(rows); n > 0 {
		return fmt.Sprintf("chaos: %d of %d scenarios FAILED", n, len(rows))
	}
	return fmt.Sprintf("chaos: all %d scenarios passed", len(rows))
}
