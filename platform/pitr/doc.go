// Package pitr is tenant point-in-time restore: it brings up a read-only
// clone of a PostgreSQL cluster recovered to a time T (Cloner; the local
// adapter recovers a base backup plus the WAL archive, PGBackRestCloner a
// pgBackRest restore, RDSCloner asks RDS or Aurora for a point-in-time
// restore; ByKind routes each cluster to the one of its backup kind), plans as few clones as a batch of sites needs
// (PlanClones), copies one tenant's rows from a clone into the live store,
// optionally under a new site ID (Load), and checksums a tenant's rows so a
// restore can be verified (TenantChecksum).
//
// It must never write to a clone, never touch another tenant's rows in the
// live store, never recover to a point later than asked, and never hold
// orchestration logic (what runs when is the workflows' business).
package pitr
