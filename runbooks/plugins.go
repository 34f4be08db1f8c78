package runbooks

import "github.com/lazarus-dr/lazarus/contract"

// checkPluginStep records the problems of a plug-in step (webhook,
// external) that the registry's generic checks do not see: a required
// param given as an empty string, and a service on an external step. The
// absence of a required param (webhook, task_queue) is checked with every
// action's. Whether a webhook step names a webhook of the platform
// description is checked by the webhook activity (a non-retryable error
// that parks the site before anything is called): a runbook is validated
// without a description.
func checkPluginStep(c *collector, what string, st *rawStep, e *effStep) {
	if !e.known || (e.action.Name != contract.ActionExternal && e.action.Name != contract.ActionWebhook) {
		return
	}
	for _, p := range st.params {
		if p.val.set() && p.val.v == "" && contains(e.action.Required, p.key.v) {
			c.at(p.val.n, "%s: params.%s is empty: %s", what, p.key.v, pluginParamHelp[p.key.v])
		}
	}
	if e.action.Name == contract.ActionExternal && st.service.set() {
		c.at(st.service.n, "%s: service %q: an external step runs on the task queue of params.%s, which the team's worker polls; it has no service",
			what, st.service.v, contract.ParamTaskQueue)
	}
}

// pluginParamHelp says what a plug-in step's required param names.
var pluginParamHelp = map[string]string{
	contract.ParamWebhook:   "name a webhook of the platform description (webhooks[].name)",
	contract.ParamTaskQueue: "name the task queue the team's worker polls",
}
