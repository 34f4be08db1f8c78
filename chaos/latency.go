package chaos

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lazarus-dr/lazarus/internal/tcpproxy"
)

// workerPlatformVia writes a copy of the platform description at src in
// which the media endpoint is the proxy's, for the workers only (the
// sandbox and the verification keep the direct one).
func workerPlatformVia(src, dst, endpoint string, p *tcpproxy.Proxy) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	text := string(b)
	if n := strings.Count(text, endpoint); n != 1 {
		return fmt.Errorf("platform %s: the media endpoint %s appears %d times, want once", src, endpoint, n)
	}
	host := strings.TrimPrefix(strings.TrimPrefix(endpoint, "http://"), "https://")
	if host == endpoint || strings.Contains(host, "/") {
		return errors.New("media endpoint " + endpoint + ": want http(s)://host:port")
	}
	via := strings.Replace(endpoint, host, p.Addr(), 1)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, []byte(strings.Replace(text, endpoint, via, 1)), 0o644)
}
