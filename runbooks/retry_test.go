package runbooks

import (
	"testing"
	"time"
)

// attemptStarts are the times, from the first attempt's start, at which
// Temporal starts the attempts of a step whose every attempt fails at once:
// InitialInterval times BackoffCoefficient^n, capped at MaximumInterval,
// for as long as the budget (schedule-to-close) and MaximumAttempts allow.
func attemptStarts(r RetryPolicy, budget time.Duration) []time.Duration {
	starts := []time.Duration{0}
	at, wait := time.Duration(0), r.InitialInterval
	for r.MaximumAttempts == 0 || int32(len(starts)) < r.MaximumAttempts {
		at += wait
		if at >= budget {
			break
		}
		starts = append(starts, at)
		wait = min(time.Duration(float64(wait)*r.BackoffCoefficient), r.MaximumInterval)
	}
	return starts
}

func compileString(t *testing.T, src string) *Plan {
	t.Helper()
	p, err := Compile("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("compile:\n%v", err)
	}
	return p
}

// A step the runbook gives no heartbeat gets the built-in 30s, or half its
// timeout when that is shorter; every step's heartbeat is shorter than its
// timeout and at most MaxHeartbeat.
func TestEveryStepHasAHeartbeat(t *testing.T) {
	p := compileString(t, `name: hb
steps:
  - id: undelete
    action: catalog.undelete
  - id: flags
    action: flags.restore
    timeout: 20s
    estimate: 5s
  - id: sync
    action: identity.sync
    heartbeat: 90s
  - id: gate
    action: gate.customer_validation
    needs: [undelete]
    gate: {deadline: 1h}
`)
	for id, want := range map[string]time.Duration{"undelete": 30 * time.Second, "flags": 10 * time.Second, "sync": 90 * time.Second, "gate": 0} {
		if got := mustStep(t, p, id).Heartbeat; got != want {
			t.Errorf("step %s: heartbeat %s, want %s", id, got, want)
		}
	}
}

// Retries are budgeted in time: unlimited attempts by default, ending with
// the budget; the runbook's or built-in budget is raised to a longer
// timeout; a step's own budget and max_attempts are kept.
func TestRetryBudgets(t *testing.T) {
	p := compileString(t, `name: budgets
defaults:
  retry_budget: 20m
steps:
  - id: undelete
    action: catalog.undelete
  - id: clone
    action: db.clone
    params: {cluster: products}
    timeout: 1h
  - id: flags
    action: flags.restore
    timeout: 2m
    retry_budget: 3m
    retry: {max_attempts: 6}
`)
	for id, want := range map[string]struct {
		budget   time.Duration
		attempts int32
	}{"undelete": {20 * time.Minute, 0}, "clone": {time.Hour, 0}, "flags": {3 * time.Minute, 6}} {
		s := mustStep(t, p, id)
		if s.RetryBudget != want.budget || s.Retry.MaximumAttempts != want.attempts {
			t.Errorf("step %s: budget %s attempts %d, want %s and %d", id, s.RetryBudget, s.Retry.MaximumAttempts, want.budget, want.attempts)
		}
	}
	p = compileString(t, "name: builtin\nsteps:\n  - {id: a, action: flags.restore}\n  - {id: b, action: identity.sync, timeout: 25m}\n")
	if a, b := mustStep(t, p, "a"), mustStep(t, p, "b"); a.RetryBudget != builtinRetryBudget || b.RetryBudget != 25*time.Minute {
		t.Errorf("built-in budgets %s and %s, want %s and 25m0s", a.RetryBudget, b.RetryBudget, builtinRetryBudget)
	}
}

// The built-in retry policy outlasts a two-minute outage: failing at once
// on every attempt, the step is still being retried more than two minutes
// (plus the longest wait) after its first attempt, and a retry follows any
// moment of the budget within MaximumInterval.
func TestBuiltinRetryOutlastsAnOutage(t *testing.T) {
	p := compileString(t, "name: minimal\nsteps:\n  - {id: a, action: flags.restore}\n")
	s := p.Steps[0]
	starts := attemptStarts(s.Retry, s.RetryBudget)
	last := starts[len(starts)-1]
	if last < 2*time.Minute+s.Retry.MaximumInterval {
		t.Errorf("last attempt at %s of %d: a two-minute outage would park the step", last, len(starts))
	}
	if len(starts) < 10 {
		t.Errorf("only %d attempts in %s", len(starts), s.RetryBudget)
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i] - starts[i-1]; gap > s.Retry.MaximumInterval {
			t.Errorf("attempts %d and %d are %s apart, more than the maximum interval %s", i, i+1, gap, s.Retry.MaximumInterval)
		}
	}
	t.Logf("%d attempts in %s, the last at %s", len(starts), s.RetryBudget, last)
}

// Every activity step of the default runbooks recovers within two minutes
// and retries for minutes: a heartbeat timeout of at most MaxHeartbeat,
// shorter than the timeout; unlimited attempts within a budget no shorter
// than the timeout; at most a minute between attempts.
func TestDefaultRunbooksRecover(t *testing.T) {
	for _, name := range Defaults() {
		p, err := Default(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Steps {
			if s.Gate != nil {
				continue
			}
			if s.Heartbeat <= 0 || s.Heartbeat > MaxHeartbeat || s.Heartbeat >= s.Timeout {
				t.Errorf("%s %s: heartbeat %s (timeout %s)", name, s.ID, s.Heartbeat, s.Timeout)
			}
			if s.Retry.MaximumAttempts != 0 || s.RetryBudget < s.Timeout || s.RetryBudget < builtinRetryBudget {
				t.Errorf("%s %s: %d attempts, budget %s (timeout %s)", name, s.ID, s.Retry.MaximumAttempts, s.RetryBudget, s.Timeout)
			}
			if s.Retry.MaximumInterval > time.Minute || s.Retry.InitialInterval <= 0 {
				t.Errorf("%s %s: retry %+v", name, s.ID, s.Retry)
			}
			if starts := attemptStarts(s.Retry, s.RetryBudget); starts[len(starts)-1] < 2*time.Minute {
				t.Errorf("%s %s: the last of %d attempts starts at %s", name, s.ID, len(starts), starts[len(starts)-1])
			}
		}
	}
}
