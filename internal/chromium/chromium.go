// Package chromium takes screenshots of web pages with headless Chromium
// (Debian's `chromium` package) and tells whether a screenshot shows
// something: the screenshot tests of the report and of the Temporal Web UI.
//
// It must never install Chromium (scripts/install-tools.sh does, with
// WITH_CHROMIUM=1) nor reach anything but the URL it is given.
package chromium

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Find returns the Chromium binary: $LAZARUS_CHROMIUM_BIN, else chromium,
// chromium-browser or google-chrome on PATH.
func Find() (string, error) {
	if p := os.Getenv("LAZARUS_CHROMIUM_BIN"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("chromium not found: run WITH_CHROMIUM=1 scripts/install-tools.sh (apt-get install chromium) or set LAZARUS_CHROMIUM_BIN")
}

// Options of a screenshot.
type Options struct {
	Width, Height int
	// VirtualTimeBudget lets scripts run before the shot (the Web UI is a
	// single-page app); 0 means none.
	VirtualTimeBudget time.Duration
}

// Screenshot renders url (http://, https:// or file://) into the PNG file out.
func Screenshot(ctx context.Context, url, out string, opts Options) error {
	bin, err := Find()
	if err != nil {
		return err
	}
	if opts.Width == 0 {
		opts.Width = 1280
	}
	if opts.Height == 0 {
		opts.Height = 900
	}
	profile, err := os.MkdirTemp("", "lazarus-chromium-")
	if err != nil {
		return fmt.Errorf("chromium profile dir: %w", err)
	}
	defer os.RemoveAll(profile)
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + profile, "--screenshot=" + abs,
		fmt.Sprintf("--window-size=%d,%d", opts.Width, opts.Height)}
	if opts.VirtualTimeBudget > 0 {
		args = append(args, fmt.Sprintf("--virtual-time-budget=%d", opts.VirtualTimeBudget.Milliseconds()))
	}
	args = append(args, url)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	outb, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("chromium screenshot of %s: %w\n%s", url, err, tail(outb))
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("chromium wrote no screenshot of %s: %w\n%s", url, err, tail(outb))
	}
	return nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Stats describe a screenshot's pixels.
type Stats struct {
	Width, Height int
	// Variance is the mean per-channel variance of the grey levels (0..65025).
	Variance float64
	// Colors is the number of distinct colours (capped at 10,000).
	Colors int
	// NonWhite is the fraction of pixels that are not (near) white.
	NonWhite float64
}

// Analyze reads a PNG and measures how much it shows.
func Analyze(path string) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return Stats{}, fmt.Errorf("decode %s: %w", path, err)
	}
	return analyze(img), nil
}

func analyze(img image.Image) Stats {
	b := img.Bounds()
	var sum, sum2 float64
	var n, nonWhite int
	colors := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r8, g8, b8 := r>>8, g>>8, bl>>8
			grey := float64(r8*299+g8*587+b8*114) / 1000
			sum += grey
			sum2 += grey * grey
			n++
			if r8 < 240 || g8 < 240 || b8 < 240 {
				nonWhite++
			}
			if len(colors) < 10000 {
				colors[r8<<16|g8<<8|b8] = true
			}
		}
	}
	mean := sum / float64(n)
	return Stats{Width: b.Dx(), Height: b.Dy(), Variance: sum2/float64(n) - mean*mean,
		Colors: len(colors), NonWhite: float64(nonWhite) / float64(n)}
}
