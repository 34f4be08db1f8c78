package activities

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// ErrContactsRead is the type of a failed read of a clone's admins
// (retryable: a clone still starting, a connection lost).
const ErrContactsRead = "ContactsReadFailed"

// ContactsRead (contract.ActivityContactsRead) reads the admins of a
// batch's sites (name, email, phone) from the batch's point-in-time clone
// of the cluster that holds the identity store: for support and
// communications, before the sites are restored. Each site is read from
// the clone its restore point was planned on (the db.clone step's plan,
// made again from the same points and tolerance). It only finds clones,
// never makes one, and reads each in a READ ONLY transaction that it rolls
// back: it writes nothing, anywhere, and can run any number of times.
func (a *Activities) ContactsRead(ctx context.Context, req contract.ContactsRequest) (contract.ContactsResult, error) {
	out := contract.ContactsResult{BatchID: req.BatchID, Contacts: []contract.Contact{}, Clones: []string{}}
	if err := a.need("description", "pitr"); err != nil {
		return out, err
	}
	finder, ok := a.d.PITR.(CloneFinder)
	if !ok {
		return out, permanent(ErrMissingDep, "the worker's PITR engine %T cannot find the batch's clones", a.d.PITR)
	}
	store, err := a.storeOfKind("identity")
	if err != nil {
		return out, err
	}
	cluster, ok := a.d.Description.Cluster(store.Cluster)
	if !ok {
		return out, permanent(ErrInvalidInput, "store %s: cluster %q is not in the platform description", store.Name, store.Cluster)
	}
	bySite, err := a.assignClones(req, cluster.Name)
	if err != nil {
		return out, err
	}
	log := a.d.Logger.With(zap.String("batch", req.BatchID), zap.String("activity", contract.ActivityContactsRead))
	began := time.Now()
	for _, id := range slices.Sorted(maps.Keys(bySite)) {
		got, err := a.contactsOfClone(ctx, finder, cluster, store, id, bySite[id])
		if err != nil {
			return out, err
		}
		out.Contacts = append(out.Contacts, got...)
		out.Clones = append(out.Clones, id)
		log.Info("contacts read", zap.String("clone", id), zap.Int("sites", len(bySite[id])), zap.Int("contacts", len(got)))
	}
	slices.SortStableFunc(out.Contacts, func(x, y contract.Contact) int {
		return strings.Compare(x.SiteID, y.SiteID)
	})
	out.NoContacts = withoutContacts(req.Sites, out.Contacts)
	out.ReadAt = a.d.Now().UTC()
	log.Info("batch contacts read", zap.Int("sites", len(req.Sites)), zap.Int("contacts", len(out.Contacts)),
		zap.Int("without_admins", len(out.NoContacts)), zap.Int("clones", len(out.Clones)), zap.Duration("took", time.Since(began)))
	return out, nil
}

// assignClones maps each clone ID to the sites it serves: the sites'
// restore points planned again with the db.clone step's tolerance. A site
// whose planned point has no clone (a plan that changed) gets the latest
// clone within its tolerance.
func (a *Activities) assignClones(req contract.ContactsRequest, cluster string) (map[string][]string, error) {
	if len(req.Sites) == 0 {
		return nil, permanent(ErrInvalidInput, "batch %s: no sites given", req.BatchID)
	}
	var ids []string
	tolerance := ""
	for _, c := range req.Clones {
		if c.Cluster == cluster {
			ids = append(ids, c.CloneIDs...)
			if tolerance == "" {
				tolerance = c.Tolerance
			}
		}
	}
	if len(ids) == 0 {
		return nil, permanent(contract.ErrCloneNotReady, "batch %s has no clone of cluster %s yet (its db.clone step has not finished)", req.BatchID, cluster)
	}
	tol := DefaultTolerance
	if tolerance != "" {
		t, err := time.ParseDuration(tolerance)
		if err != nil || t < 0 {
			return nil, permanent(ErrInvalidInput, "tolerance %q is not a duration >= 0", tolerance)
		}
		tol = t
	}
	byPoint := map[int64]string{}
	for _, id := range ids {
		_, at, err := pitr.ParseCloneID(id)
		if err != nil {
			return nil, permanent(ErrInvalidInput, "%v", err)
		}
		byPoint[at.UnixNano()] = id
	}
	points, err := sitePoints(req.Sites)
	if err != nil {
		return nil, err
	}
	plan, err := a.d.PITR.PlanClones(points, tol)
	if err != nil {
		return nil, fmt.Errorf("plan the clones of batch %s again: %w", req.BatchID, err)
	}
	out := map[string][]string{}
	var unserved []string
	for _, s := range req.Sites {
		// Clone IDs carry PostgreSQL's microseconds (pitr.CloneID).
		id, ok := byPoint[plan.Site[s.SiteID].Truncate(time.Microsecond).UnixNano()]
		if !ok {
			id, ok = latestWithin(byPoint, points[s.SiteID], tol)
		}
		if !ok {
			unserved = append(unserved, s.SiteID)
			continue
		}
		out[id] = append(out[id], s.SiteID)
	}
	if len(unserved) > 0 {
		return nil, permanent(contract.ErrCloneNotReady, "batch %s: no clone of %s serves %d site(s) yet (%s)",
			req.BatchID, cluster, len(unserved), abbreviate(unserved, 5))
	}
	return out, nil
}

// sitePoints are the restore points of the sites (as db.clone takes them:
// deleted_at minus 5 minutes when a site has none).
func sitePoints(sites []contract.SiteTarget) (map[string]time.Time, error) {
	points := map[string]time.Time{}
	for _, s := range sites {
		p := s.RestorePoint
		if p.IsZero() && !s.DeletedAt.IsZero() {
			p = s.DeletedAt.Add(-5 * time.Minute)
		}
		if s.SiteID == "" || p.IsZero() {
			return nil, permanent(ErrInvalidInput, "site %q has neither restore_point nor deleted_at", s.SiteID)
		}
		points[s.SiteID] = p
	}
	return points, nil
}

// latestWithin is the clone of the latest point in [p-tol, p].
func latestWithin(byPoint map[int64]string, p time.Time, tol time.Duration) (string, bool) {
	best, id := int64(0), ""
	for at, cid := range byPoint {
		if at <= p.UnixNano() && at >= p.Add(-tol).UnixNano() && (id == "" || at > best) {
			best, id = at, cid
		}
	}
	return id, id != ""
}

func abbreviate(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:n], ", "), len(ids)-n)
}

// contactsOfClone finds one clone and reads the admins of its sites.
func (a *Activities) contactsOfClone(ctx context.Context, finder CloneFinder, cluster platform.Cluster, store platform.Store, id string, sites []string) ([]contract.Contact, error) {
	ref, found, err := finder.FindClone(ctx, cluster, id)
	if err != nil {
		return nil, fmt.Errorf("find clone %s: %w", id, err)
	}
	if !found {
		return nil, permanent(contract.ErrCloneNotReady, "clone %s is not running (not made yet, or torn down at the batch's end)", id)
	}
	dsn, err := withDatabase(ref.DSN, store.Database)
	if err != nil {
		return nil, err
	}
	var got []contract.Contact
	err = a.call(ctx, func(ctx context.Context) (err error) {
		got, err = readContacts(ctx, a.d.Pools, dsn, store, sites)
		return err
	})
	if err != nil {
		a.d.Logger.Warn("contacts read failed", zap.String("clone", id), zap.Int("sites", len(sites)), zap.Error(err))
		if IsPermanent(err) {
			return nil, err
		}
		return nil, retryable(ErrContactsRead, "read the admins of %d site(s) from clone %s failed%s (details in the worker's log)",
			len(sites), id, sqlState(err))
	}
	for i := range got {
		got[i].RestorePoint = ref.At.UTC()
	}
	return got, nil
}

// sqlState is ", SQLSTATE x" for a PostgreSQL error: what the caller may see
// of it (the statement and the server's text stay in the worker's log).
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return ", SQLSTATE " + pe.Code
	}
	return ""
}

// contactTables are the identity store's admins table and users table.
func contactTables(s platform.Store) (admins, users platform.Table, err error) {
	for _, t := range s.Tables {
		switch {
		case t.Name == "users":
			users = t
		case PartOf(s, t) == PartContacts && strings.Contains(strings.ToLower(t.Name), "admin"):
			admins = t
		}
	}
	if admins.Name == "" || users.Name == "" {
		return admins, users, permanent(ErrInvalidInput, "identity store %s has no admins table and users table", s.Name)
	}
	return admins, users, nil
}

// readContacts reads the admins of sites, with their users' names, in one
// READ ONLY transaction, rolled back.
func readContacts(ctx context.Context, pools *pg.Pools, dsn string, s platform.Store, sites []string) ([]contract.Contact, error) {
	admins, users, err := contactTables(s)
	if err != nil {
		return nil, err
	}
	conn, err := pools.Acquire(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin a read-only transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	at, ut := pgx.Identifier{s.TenantColumnOf(admins)}.Sanitize(), pgx.Identifier{s.TenantColumnOf(users)}.Sanitize()
	q := fmt.Sprintf(`SELECT a.%[1]s, a.user_id, coalesce(u.display_name, ''), a.email, a.phone
		FROM %[3]s a LEFT JOIN %[4]s u ON u.%[2]s = a.%[1]s AND u.id = a.user_id
		WHERE a.%[1]s = ANY($1) ORDER BY a.%[1]s, a.user_id`,
		at, ut, pgx.Identifier{admins.Name}.Sanitize(), pgx.Identifier{users.Name}.Sanitize())
	rows, err := tx.Query(ctx, q, sites)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", s.Name, admins.Name, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (c contract.Contact, err error) {
		err = r.Scan(&c.SiteID, &c.UserID, &c.Name, &c.Email, &c.Phone)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", s.Name, admins.Name, err)
	}
	return out, nil
}

// withoutContacts are the sites (in their order) with no contact.
func withoutContacts(sites []contract.SiteTarget, cs []contract.Contact) []string {
	has := map[string]bool{}
	for _, c := range cs {
		has[c.SiteID] = true
	}
	var out []string
	for _, s := range sites {
		if !has[s.SiteID] {
			out = append(out, s.SiteID)
		}
	}
	return out
}
