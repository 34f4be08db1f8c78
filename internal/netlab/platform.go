package netlab

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/lazarus-dr/lazarus/internal/tcpproxy"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// Platforms are the platform descriptions of the LAN's hosts, one each, and
// the forwarders on the gateway that they need. Close the forwarders when
// done.
type Platforms struct {
	// Paths maps a host's name to its platform description.
	Paths      map[string]string
	forwarders []*tcpproxy.Proxy
	// cloners read each host's clones; clusters are the clusters' names.
	cloners  map[string]*pitr.LocalCloner
	clusters []string
}

// Forward puts a forwarder on the gateway, on target's port, in front of a
// server that listens on loopback (target is host:port), and returns it.
func (l *LAN) Forward(target string) (*tcpproxy.Proxy, error) {
	_, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, fmt.Errorf("netlab: forward %s: %w", target, err)
	}
	p, err := tcpproxy.Listen(net.JoinHostPort(l.Gateway, port), target, 0)
	if err != nil {
		return nil, fmt.Errorf("netlab: forward %s: %w", target, err)
	}
	return p, nil
}

var (
	loopbackURL = regexp.MustCompile(`http://127\.0\.0\.1:(\d+)`)
	scratchDir  = regexp.MustCompile(`(?m)^(\s*scratch_dir:\s*)(\S+)\s*$`)
)

// WritePlatforms writes into dir one platform description per host: the
// sandbox's (src), with every address on the gateway (its PostgreSQL
// clusters listen there, sandbox.Options.Network; its HTTP services and S3
// server get forwarders on the same ports) and a scratch folder of the
// host's own (<scratch_dir>-<host>), as separate machines have.
func (l *LAN) WritePlatforms(src, dir string) (*Platforms, error) {
	raw, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("netlab: platform: %w", err)
	}
	text := string(raw)
	if len(scratchDir.FindAllString(text, -1)) == 0 {
		return nil, fmt.Errorf("netlab: platform %s has no scratch_dir", src)
	}
	ps := &Platforms{Paths: map[string]string{}, cloners: map[string]*pitr.LocalCloner{}}
	seen := map[string]bool{}
	for _, m := range loopbackURL.FindAllStringSubmatch(text, -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		p, err := l.Forward("127.0.0.1:" + m[1])
		if err != nil {
			ps.Close()
			return nil, err
		}
		ps.forwarders = append(ps.forwarders, p)
	}
	text = strings.ReplaceAll(text, "127.0.0.1", l.Gateway)
	for _, h := range l.Hosts {
		desc := scratchDir.ReplaceAllString(text, "${1}${2}-"+h.Name)
		path := filepath.Join(dir, "platform-"+h.Name+".yaml")
		if err := os.WriteFile(path, []byte(desc), 0o644); err != nil {
			ps.Close()
			return nil, fmt.Errorf("netlab: platform of %s: %w", h.Name, err)
		}
		ps.Paths[h.Name] = path
		d, err := platform.Load(path)
		if err != nil {
			ps.Close()
			return nil, fmt.Errorf("netlab: platform of %s: %w", h.Name, err)
		}
		ps.cloners[h.Name] = pitr.NewLocalCloner(d, nil)
		ps.clusters = ps.clusters[:0]
		for _, c := range d.Clusters {
			ps.clusters = append(ps.clusters, c.Name)
		}
	}
	return ps, nil
}

// Close stops the forwarders.
func (ps *Platforms) Close() {
	for _, p := range ps.forwarders {
		p.Close()
	}
	ps.forwarders = nil
}
