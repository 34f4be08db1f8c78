package chaos

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
)

func pending(id, action string, state enumspb.PendingActivityState, worker string) *workflowpb.PendingActivityInfo {
	return &workflowpb.PendingActivityInfo{ActivityId: id, ActivityType: &commonpb.ActivityType{Name: action}, State: state,
		LastWorkerIdentity: worker, Attempt: 1}
}

// The hunt prefers an activity this worker runs, then one not started yet,
// of the wanted types only.
func TestPickTarget(t *testing.T) {
	started, scheduled := enumspb.PENDING_ACTIVITY_STATE_STARTED, enumspb.PENDING_ACTIVITY_STATE_SCHEDULED
	acts := []*workflowpb.PendingActivityInfo{
		pending("1", "media.undelete", scheduled, ""),
		pending("2", "media.undelete", started, "99@other"),
		pending("3", "catalog.undelete", started, "42@host"),
		pending("4", "media.undelete", started, "42@host"),
	}
	if got := pickTarget("w", acts, []string{"media.undelete"}, "42@"); got == nil || got.ActivityID != "4" || got.Worker != "42@host" {
		t.Fatalf("want activity 4 started by 42, got %+v", got)
	}
	if got := pickTarget("w", acts[:3], []string{"media.undelete"}, "42@"); got == nil || got.ActivityID != "1" || got.Worker != "" {
		t.Fatalf("want the scheduled activity 1, got %+v", got)
	}
	if got := pickTarget("w", acts, nil, "42@"); got == nil || got.ActivityID != "3" {
		t.Fatalf("any type: want activity 3, got %+v", got)
	}
	if got := pickTarget("w", acts, []string{"db.restore_tenant"}, "42@"); got != nil {
		t.Fatalf("no such type: want nil, got %+v", got)
	}
}
