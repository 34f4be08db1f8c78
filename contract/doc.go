// Package contract is the step contract shared by runbooks, workflows and
// activities: the one input and output of every runbook action, the site a
// batch-scoped step sees, the names of the variables that steps hand to each
// other, and the names of the actions.
//
// It holds plain data only. It must never import another package of this
// project, an adapter (pgx, the AWS SDK) or the Temporal SDK: the workflows
// depend on it, and through it on nothing but the standard library.
package contract
