//go:build integration

package report

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lazarus-dr/lazarus/internal/chromium"
	"github.com/lazarus-dr/lazarus/internal/tools"
)

// TestHTMLScreenshot renders a 40-site report (switched from restore1 to
// restore2 by an operator) in headless Chromium and
// checks that the picture shows something (not a blank page). The PNG is
// kept under out/ at the repository root.
func TestHTMLScreenshot(t *testing.T) {
	root, err := tools.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(root, "out")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(outDir, "report-sample.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, Build(fixtureSwitched(40), Options{Lead: fixtureLead()})); err != nil {
		t.Fatal(err)
	}
	f.Close()
	png := filepath.Join(outDir, "report-screenshot.png")
	os.Remove(png)
	if err := chromium.Screenshot(context.Background(), "file://"+page, png, chromium.Options{Width: 1280, Height: 1600}); err != nil {
		t.Fatal(err)
	}
	st, err := chromium.Analyze(png)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s: %dx%d variance %.0f colours %d non-white %.1f%%", png, st.Width, st.Height, st.Variance, st.Colors, 100*st.NonWhite)
	if st.Width != 1280 || st.Height != 1600 {
		t.Errorf("size %dx%d", st.Width, st.Height)
	}
	// A blank page has variance 0 and one colour; the report has text,
	// cards and coloured bars.
	if st.Variance < 100 || st.Colors < 50 || st.NonWhite < 0.05 {
		t.Errorf("screenshot looks blank: %+v", st)
	}
}
