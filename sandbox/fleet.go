package sandbox

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// The fleet generator: every site is a pure function of (seed, index), so a
// fleet is deterministic for a seed and `seed --add` continues it.

// Size classes of the heavy-tailed distribution.
const (
	SizeTiny   = "tiny"
	SizeSmall  = "small"
	SizeMedium = "medium"
	SizeLarge  = "large"
	SizeHuge   = "huge"
)

// InternalCustomer owns the sites of the platform company itself.
const InternalCustomer = "platform-co"

var (
	regions = []string{"us-east", "us-west", "eu-central", "eu-west", "ap-southeast"}
	tiers   = []string{"free", "standard", "premium", "enterprise"}
	words   = []string{"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell",
		"cyberdyne", "soylent", "wonka", "oscorp", "aperture", "vandelay", "pied-piper", "massive",
		"dunder", "prestige", "monarch", "nakatomi", "gringotts", "zorg", "duff", "krusty"}
	vendorApps = []struct{ vendor, name string }{
		{"tempo", "Tempo Timesheets"}, {"adaptavist", "ScriptRunner"}, {"drawio", "draw.io Diagrams"},
		{"smartbear", "Zephyr Scale"}, {"gliffy", "Gliffy Diagrams"}, {"softwareplant", "BigPicture"},
		{"xblend", "Xray Test Management"}, {"eazybi", "eazyBI Reports"}, {"refined", "Refined Sites"},
		{"comala", "Comala Document Management"}, {"appfire", "JMWE"}, {"k15t", "Scroll PDF Exporter"},
	}
	flagNames = []string{"new-navigation", "dark-mode", "ai-assist", "advanced-roadmaps", "beta-editor",
		"sso-enforced", "ip-allowlist", "data-residency", "audit-log-export", "sandbox-env",
		"release-tracks", "mobile-push", "custom-domains", "automation-v2", "legacy-search"}
	seedEpoch = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
)

// SiteSpec is one generated site (its catalog record; Rows gives its data).
type SiteSpec struct {
	Index      int
	Seed       int64
	ID         string
	URL        string
	Region     string
	Tier       string
	Owner      string // customer | internal
	CustomerID string
	Size       string
	Active     bool
	Users      int
	CreatedAt  time.Time
	LastActive time.Time
	// Products of the site, and the shard (1-based) holding each.
	Products []string
	Shard    map[string]int
	Apps     []AppSpec
}

// AppSpec is one app installation.
type AppSpec struct {
	ID, Vendor, Name string
}

func siteRand(seed int64, index int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^0x6c617a61727573, uint64(index)*0x9E3779B97F4A7C15+stream))
}

// newUUID draws a version-4 UUID from r.
func newUUID(r *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func between(r *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// GenerateSite returns site index of the fleet of seed, with shards shards.
func GenerateSite(seed int64, index, shards int) SiteSpec {
	r := siteRand(seed, index, 1)
	s := SiteSpec{Index: index, Seed: seed, Shard: map[string]int{}}
	s.ID = newUUID(r)
	word := words[r.IntN(len(words))]
	s.URL = fmt.Sprintf("https://%s-%s.example-cloud.test", word, s.ID[:8])
	s.Region = regions[r.IntN(len(regions))]
	x := r.Float64()
	switch {
	case x < 0.60:
		s.Size, s.Users = SizeTiny, between(r, 1, 5)
	case x < 0.85:
		s.Size, s.Users = SizeSmall, between(r, 5, 40)
	case x < 0.97:
		s.Size, s.Users = SizeMedium, between(r, 40, 250)
	case x < 0.995:
		s.Size, s.Users = SizeLarge, between(r, 250, 1200)
	default:
		s.Size, s.Users = SizeHuge, between(r, 1200, 4000)
	}
	s.Active = !(s.Size == SizeTiny && r.Float64() < 0.5)
	switch s.Size {
	case SizeTiny:
		s.Tier = tiers[r.IntN(2)]
	case SizeSmall:
		s.Tier = tiers[between(r, 0, 2)]
	default:
		s.Tier = tiers[between(r, 2, 3)]
	}
	if r.Float64() < 0.03 {
		s.Owner, s.CustomerID = "internal", InternalCustomer
	} else {
		s.Owner = "customer"
		c := index
		if r.Float64() < 0.12 && index > 0 {
			c = index - 1 - r.IntN(min(index, 3)) // a customer with several sites
		}
		s.CustomerID = fmt.Sprintf("cust-%x-%06d", uint32(seed), c)
	}
	s.CreatedAt = seedEpoch.Add(time.Duration(r.IntN(600*24)) * time.Hour)
	if s.Active {
		s.LastActive = s.CreatedAt.Add(time.Duration(r.IntN(90*24)+24) * time.Hour)
	} else {
		s.LastActive = s.CreatedAt.Add(time.Duration(r.IntN(48)+1) * time.Hour)
	}
	// Products: at least one.
	if r.Float64() < 0.8 {
		s.Products = append(s.Products, schema.ProductJira)
	}
	if r.Float64() < 0.6 || len(s.Products) == 0 {
		s.Products = append(s.Products, schema.ProductConfluence)
	}
	if r.Float64() < 0.2 {
		s.Products = append(s.Products, schema.ProductJSM)
	}
	if r.Float64() < 0.1 {
		s.Products = append(s.Products, schema.ProductOpsgenie)
	}
	if r.Float64() < 0.08 {
		s.Products = append(s.Products, schema.ProductStatuspage)
	}
	home := 1 + r.IntN(shards)
	other := home
	if r.Float64() < 0.3 {
		other = 1 + r.IntN(shards)
	}
	for _, p := range s.Products {
		if p == schema.ProductConfluence || p == schema.ProductStatuspage {
			s.Shard[p] = other
		} else {
			s.Shard[p] = home
		}
	}
	// Apps: 0..5, more likely on bigger sites.
	y := r.Float64()
	n := 0
	switch {
	case y < 0.45:
		n = 0
	case y < 0.70:
		n = 1
	case y < 0.85:
		n = 2
	case y < 0.93:
		n = 3
	case y < 0.97:
		n = 4
	default:
		n = 5
	}
	seen := map[int]bool{}
	for i := 0; i < n; i++ {
		k := r.IntN(len(vendorApps))
		for seen[k] {
			k = (k + 1) % len(vendorApps)
		}
		seen[k] = true
		s.Apps = append(s.Apps, AppSpec{ID: newUUID(r), Vendor: vendorApps[k].vendor, Name: vendorApps[k].name})
	}
	return s
}

// SelfURL is a site's API URL (embeds the site ID).
func SelfURL(siteID string) string { return "https://api.example-cloud.test/sites/" + siteID }

// Object is one media object of a site.
type Object struct {
	Key  string
	Body []byte
}

// Emit receives generated rows: database, table, values in the table's
// column order (columns[table]).
type Emit func(db, table string, row []any)

// columns of every table the generator writes, in COPY order.
var columns = map[string][]string{
	"sites":                {"site_id", "url", "region", "tier", "status", "owner", "customer_id", "self_url", "created_at", "updated_at", "last_active_at"},
	"site_config":          {"site_id", "key", "value"},
	"licenses":             {"site_id", "id", "tier", "seats", "starts_at", "expires_at"},
	"product_activations":  {"site_id", "product", "status", "activated_at"},
	"placements":           {"site_id", "product", "cluster", "database", "store", "region"},
	"app_installations":    {"site_id", "app_id", "vendor", "name", "status", "callback_url", "installed_at"},
	"users":                {"site_id", "id", "account_id", "email", "display_name", "active", "created_at"},
	"groups":               {"site_id", "id", "name"},
	"memberships":          {"site_id", "group_id", "user_id"},
	"permissions":          {"site_id", "group_id", "permission"},
	"site_admins":          {"site_id", "user_id", "email", "phone"},
	"site_flags":           {"site_id", "flag", "enabled", "value", "updated_at"},
	"id_registry":          {"id", "kind", "site_id", "url", "app_name", "created_at"},
	"vendor_installations": {"app_id", "site_id", "vendor", "app_name", "status", "delay_ms", "updated_at"},
	"search_docs":          {"site_id", "product", "doc_id", "title", "body", "url", "indexed_at"},
	"jira_projects":        {"site_id", "id", "key", "name", "self_url"},
	"jira_issues":          {"site_id", "id", "project_id", "key", "summary", "description", "status", "reporter_id", "self_url", "links", "created_at", "updated_at"},
	"jira_comments":        {"site_id", "id", "issue_id", "author_id", "body", "created_at"},
	"jira_attachments":     {"site_id", "id", "issue_id", "filename", "object_key", "size", "sha256", "created_at"},
	"conf_spaces":          {"site_id", "id", "key", "name", "self_url"},
	"conf_pages":           {"site_id", "id", "space_id", "title", "body", "author_id", "self_url", "created_at", "updated_at"},
	"conf_comments":        {"site_id", "id", "page_id", "author_id", "body", "created_at"},
	"conf_attachments":     {"site_id", "id", "page_id", "filename", "object_key", "size", "sha256", "created_at"},
	"jsm_queues":           {"site_id", "id", "name"},
	"jsm_requests":         {"site_id", "id", "queue_id", "summary", "status", "portal_url", "created_at"},
	"og_alerts":            {"site_id", "id", "message", "priority", "created_at"},
	"sp_components":        {"site_id", "id", "name", "status", "page_url"},
}

var lorem = strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua restore backup shard tenant deploy release sprint incident review pipeline")

func sentence(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = lorem[r.IntN(len(lorem))]
	}
	return strings.Join(w, " ")
}

func scale(r *rand.Rand, base int, lo, hi float64) int {
	return int(float64(base) * (lo + r.Float64()*(hi-lo)))
}

// Rows generates every row and media object of the site. emit is called in
// foreign-key order per database.
func (s SiteSpec) Rows(emit Emit, object func(Object)) {
	r := siteRand(s.Seed, s.Index, 2)
	id := s.ID
	ts := func(maxDays int) time.Time {
		return s.CreatedAt.Add(time.Duration(r.IntN(maxDays*24*60+1)) * time.Minute)
	}
	cat := schema.DBCatalog
	emit(cat, "sites", []any{id, s.URL, s.Region, s.Tier, "active", s.Owner, s.CustomerID, SelfURL(id), s.CreatedAt, s.LastActive, s.LastActive})
	emit(cat, "id_registry", []any{id, "site", id, s.URL, "", s.CreatedAt})
	for _, kv := range [][2]string{
		{"base_url", s.URL}, {"timezone", []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Singapore"}[r.IntN(4)]},
		{"locale", []string{"en_US", "de_DE", "fr_FR", "ja_JP"}[r.IntN(4)]}, {"self", SelfURL(id)},
		{"webhook", fmt.Sprintf(`{"site":"%s","events":["issue_created"]}`, id)}, {"display_name", strings.Split(strings.TrimPrefix(s.URL, "https://"), ".")[0]},
	} {
		emit(cat, "site_config", []any{id, kv[0], kv[1]})
	}
	seats := s.Users + r.IntN(20)
	emit(cat, "licenses", []any{id, int64(1), s.Tier, seats, s.CreatedAt, s.CreatedAt.AddDate(2, 0, 0)})
	for _, p := range s.Products {
		emit(cat, "product_activations", []any{id, p, "active", s.CreatedAt})
	}
	for _, p := range s.Products {
		shard := schema.ShardName(s.Shard[p])
		emit(cat, "placements", []any{id, p, schema.ClusterProducts, shard, shard, s.Region})
	}
	for _, a := range s.Apps {
		emit(cat, "app_installations", []any{id, a.ID, a.Vendor, a.Name, "installed",
			fmt.Sprintf("https://%s.vendors.test/callbacks/%s/%s", a.Vendor, id, a.ID), ts(30)})
		emit(cat, "id_registry", []any{a.ID, "app", id, "", a.Name, s.CreatedAt})
		emit(schema.DBVendors, "vendor_installations", []any{a.ID, id, a.Vendor, a.Name, "installed", 0, s.CreatedAt})
	}
	// Identity.
	for u := 1; u <= s.Users; u++ {
		emit(cat, "users", []any{id, int64(u), newUUID(r), fmt.Sprintf("user%d@%s.example.test", u, s.ID[:8]),
			fmt.Sprintf("User %d %s", u, lorem[r.IntN(len(lorem))]), r.Float64() < 0.95, ts(60)})
	}
	groups := min(3+s.Users/100, 30)
	for g := 1; g <= groups; g++ {
		emit(cat, "groups", []any{id, int64(g), []string{"site-admins", "users", "developers"}[min(g-1, 2)] + suffix(g)})
	}
	for u := 1; u <= s.Users; u++ {
		g := 1 + r.IntN(groups)
		emit(cat, "memberships", []any{id, int64(g), int64(u)})
		if r.Float64() < 0.3 {
			if g2 := 1 + r.IntN(groups); g2 != g {
				emit(cat, "memberships", []any{id, int64(g2), int64(u)})
			}
		}
	}
	perms := []string{"jira:admin", "jira:use", "confluence:admin", "confluence:use", "site:admin", "jsm:agent"}
	for g := 1; g <= groups; g++ {
		a := r.IntN(len(perms))
		emit(cat, "permissions", []any{id, int64(g), perms[a]})
		if b := r.IntN(len(perms)); b != a {
			emit(cat, "permissions", []any{id, int64(g), perms[b]})
		}
	}
	admins := min(s.Users, between(r, 1, 3))
	for u := 1; u <= admins; u++ {
		emit(cat, "site_admins", []any{id, int64(u), fmt.Sprintf("user%d@%s.example.test", u, s.ID[:8]), fmt.Sprintf("+1-555-%04d", r.IntN(10000))})
	}
	// Flags.
	nf := between(r, 4, 10)
	off := r.IntN(len(flagNames))
	for i := 0; i < nf; i++ {
		emit(cat, "site_flags", []any{id, flagNames[(off+i)%len(flagNames)], r.Float64() < 0.6, "", s.LastActive})
	}
	act := 1.0
	if !s.Active {
		act = 0.1
	}
	for _, p := range s.Products {
		db := schema.ShardName(s.Shard[p])
		switch p {
		case schema.ProductJira:
			issues := int(float64(scale(r, s.Users, 1, 4)) * act)
			projects := min(1+issues/150, 50)
			for i := 1; i <= projects; i++ {
				emit(db, "jira_projects", []any{id, int64(i), fmt.Sprintf("P%d", i), sentence(r, 2), fmt.Sprintf("%s/jira/projects/%d", SelfURL(id), i)})
			}
			for i := 1; i <= issues; i++ {
				pr := 1 + r.IntN(projects)
				created := ts(400)
				emit(db, "jira_issues", []any{id, int64(i), int64(pr), fmt.Sprintf("P%d-%d", pr, i), sentence(r, 6), sentence(r, 20),
					[]string{"open", "in-progress", "done"}[r.IntN(3)], int64(1 + r.IntN(s.Users)),
					fmt.Sprintf("%s/jira/issues/%d", SelfURL(id), i),
					fmt.Sprintf(`{"self":"%s/jira/issues/%d","site":"%s"}`, SelfURL(id), i, id), created, created.Add(time.Hour)})
				search(emit, id, "jira", fmt.Sprintf("issue:%d", i), "", fmt.Sprintf("%s/browse/P%d-%d", s.URL, pr, i))
			}
			comments := scale(r, issues, 0.5, 1.5)
			for i := 1; i <= comments && issues > 0; i++ {
				emit(db, "jira_comments", []any{id, int64(i), int64(1 + r.IntN(issues)), int64(1 + r.IntN(s.Users)), sentence(r, 12), ts(400)})
			}
			att := min(issues/25, 40)
			for i := 1; i <= att; i++ {
				o := attachment(r, id, "jira", i)
				emit(db, "jira_attachments", []any{id, int64(i), int64(1 + r.IntN(issues)), o.filename, o.Key, int64(len(o.Body)), o.sha, ts(400)})
				object(o.Object)
			}
		case schema.ProductConfluence:
			pages := int(float64(scale(r, s.Users, 0.5, 2)) * act)
			spaces := min(1+pages/80, 40)
			for i := 1; i <= spaces; i++ {
				emit(db, "conf_spaces", []any{id, int64(i), fmt.Sprintf("S%d", i), sentence(r, 2), fmt.Sprintf("%s/wiki/spaces/%d", SelfURL(id), i)})
			}
			for i := 1; i <= pages; i++ {
				created := ts(400)
				emit(db, "conf_pages", []any{id, int64(i), int64(1 + r.IntN(spaces)), sentence(r, 4), sentence(r, 40), int64(1 + r.IntN(s.Users)),
					fmt.Sprintf("%s/wiki/pages/%d", SelfURL(id), i), created, created.Add(2 * time.Hour)})
				search(emit, id, "confluence", fmt.Sprintf("page:%d", i), "", fmt.Sprintf("%s/wiki/pages/%d", s.URL, i))
			}
			comments := scale(r, pages, 0.2, 0.8)
			for i := 1; i <= comments && pages > 0; i++ {
				emit(db, "conf_comments", []any{id, int64(i), int64(1 + r.IntN(pages)), int64(1 + r.IntN(s.Users)), sentence(r, 10), ts(400)})
			}
			att := min(pages/25, 40)
			for i := 1; i <= att; i++ {
				o := attachment(r, id, "confluence", i)
				emit(db, "conf_attachments", []any{id, int64(i), int64(1 + r.IntN(pages)), o.filename, o.Key, int64(len(o.Body)), o.sha, ts(400)})
				object(o.Object)
			}
		case schema.ProductJSM:
			queues := between(r, 2, 4)
			for i := 1; i <= queues; i++ {
				emit(db, "jsm_queues", []any{id, int64(i), sentence(r, 2)})
			}
			reqs := int(float64(scale(r, s.Users, 0.5, 2)) * act)
			for i := 1; i <= reqs; i++ {
				emit(db, "jsm_requests", []any{id, int64(i), int64(1 + r.IntN(queues)), sentence(r, 5), []string{"waiting", "resolved"}[r.IntN(2)],
					fmt.Sprintf("%s/servicedesk/requests/%d", SelfURL(id), i), ts(400)})
			}
		case schema.ProductOpsgenie:
			alerts := min(int(float64(scale(r, s.Users, 1, 3))*act), 2000)
			for i := 1; i <= alerts; i++ {
				emit(db, "og_alerts", []any{id, int64(i), sentence(r, 5), []string{"P1", "P2", "P3", "P4", "P5"}[r.IntN(5)], ts(400)})
			}
		case schema.ProductStatuspage:
			n := between(r, 3, 12)
			for i := 1; i <= n; i++ {
				emit(db, "sp_components", []any{id, int64(i), sentence(r, 2), "operational", fmt.Sprintf("%s/status/components/%d", SelfURL(id), i)})
			}
		}
	}
}

func suffix(g int) string {
	if g <= 3 {
		return ""
	}
	return fmt.Sprintf("-%d", g)
}

var indexedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func search(emit Emit, siteID, product, docID, body, url string) {
	emit(schema.DBSearch, "search_docs", []any{siteID, product, docID, docID, body, url, indexedAt})
}

type genObject struct {
	Object
	filename, sha string
}

func attachment(r *rand.Rand, siteID, product string, i int) genObject {
	name := fmt.Sprintf("file-%d.%s", i, []string{"png", "pdf", "txt", "log"}[r.IntN(4)])
	n := between(r, 200, 2000)
	body := make([]byte, n)
	for j := range body {
		body[j] = byte('a' + r.IntN(26))
	}
	sum := sha256.Sum256(body)
	return genObject{
		Object:   Object{Key: fmt.Sprintf("sites/%s/%s/%d/%s", siteID, product, i, name), Body: body},
		filename: name, sha: hex.EncodeToString(sum[:]),
	}
}

// md5hex is the hex MD5 of b (an S3 ETag of a single-part upload).
func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}
