package contract

// ActionExternal is the plug-in action carried out by a team's own
// Temporal worker (any SDK language): the step is an activity of type
// ParamActivity (default DefaultExternalActivity) on the task queue
// ParamTaskQueue. Its input is a StepInput and its result a StepOutput, as
// plain JSON (the json/plain encoding, never compressed).
const ActionExternal = "external"

// Params of an external step. Every other param is passed through in
// StepInput.Params.
const (
	// ParamTaskQueue is the task queue the team's worker polls (required).
	ParamTaskQueue = "task_queue"
	// ParamActivity is the activity type the team's worker registers
	// (optional, DefaultExternalActivity).
	ParamActivity = "activity"
)

// DefaultExternalActivity is the activity type of an external step whose
// params name none.
const DefaultExternalActivity = "lazarus.external"

// ExternalActivity is the activity type an external step with these
// params schedules.
func ExternalActivity(params map[string]string) string {
	if a := params[ParamActivity]; a != "" {
		return a
	}
	return DefaultExternalActivity
}
