package platform

import (
	"net/url"
	"strings"

	"github.com/lazarus-dr/lazarus/drill"
)

// A drill copy's URL: Lazarus gives a drill's copy of a site the site's URL
// with "drill-<drill>-" ahead of its first host label (DrillURL), so that it
// never answers for the live site, and a platform (the sandbox's
// verification) or Lazarus (the drill's guards) tells a copy by it
// (IsDrillURL).

// DrillURL is the URL of drill drillID's copy of a site whose URL is siteURL.
// An unparsable URL is prefixed as a whole.
func DrillURL(siteURL, drillID string) string {
	u, err := url.Parse(siteURL)
	if err != nil || u.Host == "" {
		return "drill-" + drillID + "-" + siteURL
	}
	u.Host = "drill-" + drill.HostLabel(drillID) + "-" + u.Host
	return u.String()
}

// IsDrillURL reports whether u is DrillURL(orig, some drill).
func IsDrillURL(u, orig string) bool {
	du, derr := url.Parse(u)
	ou, oerr := url.Parse(orig)
	if derr != nil || oerr != nil || du.Host == "" || ou.Host == "" {
		return strings.HasPrefix(u, "drill-") && len(u) > len("drill-")+len(orig)+1 && strings.HasSuffix(u, "-"+orig)
	}
	h := du.Host
	if !strings.HasPrefix(h, "drill-") || !strings.HasSuffix(h, "-"+ou.Host) || len(h) <= len("drill-")+len(ou.Host)+1 {
		return false
	}
	du.Host = ou.Host
	return du.String() == ou.String()
}
