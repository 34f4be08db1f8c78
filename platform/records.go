package platform

// Records the platform's HTTP services answer with: one definition shared
// by the sandbox's servers and the httpapi client, so the two cannot drift.

// User is one of a site's users (identity service).
type User struct {
	ID          int64  `json:"id"`
	AccountID   string `json:"account_id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Active      bool   `json:"active"`
}

// SiteAdmin is one of a site's contacts (identity service).
type SiteAdmin struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
	Phone  string `json:"phone"`
}

// SiteFlag is one feature flag of a site (flags service).
type SiteFlag struct {
	Flag    string `json:"flag"`
	Enabled bool   `json:"enabled"`
	Value   string `json:"value"`
}

// SearchDoc is one hit of a site's derived search store (search service).
type SearchDoc struct {
	Product string `json:"product"`
	DocID   string `json:"doc_id"`
	Title   string `json:"title"`
	URL     string `json:"url"`
}
