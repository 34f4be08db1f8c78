// Package e2e holds the end-to-end integration test of Lazarus on real
// components (build tag integration): a Temporal dev server, the sandbox
// platform (PostgreSQL with WAL archiving, versitygw, its HTTP services),
// the worker with the real activities and the `lazarus` CLI, through a
// 2022-like disaster, the preflight guard, a Restore 2 batch, a Restore 1
// batch and the sandbox's verification.
//
// It holds tests only: it must never be imported, and it must never touch
// anything but the temporary stack it starts (loopback ports, temp dirs).
package e2e
