package workflows

import (
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/runbooks"
)

// MaxRecovery is how long any step of the default runbooks may wait after a
// lost task, a dead worker or a hung call before Temporal retries it.
const MaxRecovery = 2 * time.Minute

// Every activity step of the default runbooks is retried within
// MaxRecovery of a lost task (its heartbeat timeout), and keeps retrying
// long enough to outlast a 2-minute outage (its retry budget).
func TestDefaultRunbookStepsRecoverWithinTwoMinutes(t *testing.T) {
	for _, name := range runbooks.Defaults() {
		p, err := runbooks.Default(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, ps := range p.Steps {
			if isGate(ps) {
				continue
			}
			ao := activityOptions(ps)
			if ao.HeartbeatTimeout <= 0 || ao.HeartbeatTimeout > MaxRecovery {
				t.Errorf("%s step %s: heartbeat timeout %s, want more than 0 and at most %s", name, ps.ID, ao.HeartbeatTimeout, MaxRecovery)
			}
			if ao.ScheduleToCloseTimeout < 2*time.Minute+ao.HeartbeatTimeout {
				t.Errorf("%s step %s: retry budget %s does not outlast a 2-minute outage", name, ps.ID, ao.ScheduleToCloseTimeout)
			}
			if ao.RetryPolicy.MaximumAttempts != 0 && ps.Retry.MaximumAttempts == 0 {
				t.Errorf("%s step %s: attempts capped at %d; the budget is in time", name, ps.ID, ao.RetryPolicy.MaximumAttempts)
			}
		}
	}
}
