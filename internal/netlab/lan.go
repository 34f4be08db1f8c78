// Package netlab makes test hosts on this machine: network namespaces, each
// linked by a veth pair to one bridge, on a private IPv4 network. The
// bridge's side (the "platform host") is this machine's own namespace, where
// the test runs its servers; the hosts run worker processes with
// `ip netns exec`, reach each other and the platform across the bridge, and
// die together when a test kills a host.
//
// It needs root and iproute2 (`ip`). It must never touch an interface or
// namespace it did not make: every name it makes carries its LAN's prefix,
// and Close removes exactly those.
package netlab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LAN is a bridge with hosts on it.
type LAN struct {
	prefix string // of every name: bridge, namespaces, veth ends
	bridge string
	// Gateway is the bridge's address, in this machine's own namespace.
	Gateway string
	// Network is Gateway with its prefix length (10.a.b.1/24).
	Network string
	Hosts   []Host
}

// Host is one network namespace on the LAN.
type Host struct {
	Name string // its namespace
	IP   string
}

// New makes a LAN with n hosts. Call Close when done, even after an error.
func New(ctx context.Context, n int) (*LAN, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("netlab: network namespaces need root")
	}
	if ipCommand() == "" {
		return nil, errors.New("netlab: the ip command (iproute2) is missing: apt-get install iproute2")
	}
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		return nil, err
	}
	prefix := "lz" + hex.EncodeToString(suffix)
	subnet, err := freeSubnet()
	if err != nil {
		return nil, err
	}
	l := &LAN{prefix: prefix, bridge: prefix + "br", Gateway: subnet + ".1", Network: subnet + ".1/24"}
	steps := [][]string{
		{"link", "add", l.bridge, "type", "bridge"},
		{"addr", "add", l.Network, "dev", l.bridge},
		{"link", "set", l.bridge, "up"},
	}
	if err := l.ip(ctx, steps...); err != nil {
		return l, err
	}
	for i := 0; i < n; i++ {
		h := Host{Name: prefix + string(rune('a'+i)), IP: subnet + "." + strconv.Itoa(i+2)}
		outer, inner := h.Name+"0", h.Name+"1"
		err := l.ip(ctx,
			[]string{"netns", "add", h.Name},
			[]string{"link", "add", outer, "type", "veth", "peer", "name", inner},
			[]string{"link", "set", inner, "netns", h.Name},
			[]string{"link", "set", outer, "master", l.bridge, "up"},
			[]string{"-n", h.Name, "addr", "add", h.IP + "/24", "dev", inner},
			[]string{"-n", h.Name, "link", "set", inner, "up"},
			[]string{"-n", h.Name, "link", "set", "lo", "up"},
		)
		if err != nil {
			return l, err
		}
		l.Hosts = append(l.Hosts, h)
	}
	return l, nil
}

// freeSubnet picks 10.x.y (a /24) that no interface of this machine uses.
func freeSubnet() (string, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", fmt.Errorf("netlab: %w", err)
	}
	for try := 0; try < 50; try++ {
		b := make([]byte, 2)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		subnet := fmt.Sprintf("10.%d.%d", 200+int(b[0])%50, b[1])
		used := false
		for _, a := range addrs {
			used = used || strings.HasPrefix(a.String(), subnet+".")
		}
		if !used {
			return subnet, nil
		}
	}
	return "", errors.New("netlab: no free 10.x.y.0/24 network")
}

func (l *LAN) ip(ctx context.Context, steps ...[]string) error {
	for _, args := range steps {
		if out, err := exec.CommandContext(ctx, ipCommand(), args...).CombinedOutput(); err != nil {
			return fmt.Errorf("netlab: ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// Links are the interfaces the LAN made in this machine's namespace: each
// host's outer veth end, then the bridge.
func (l *LAN) Links() []string {
	var out []string
	for _, h := range l.Hosts {
		out = append(out, h.Name+"0")
	}
	return append(out, l.bridge)
}

// Command is a command that runs on host h (in its namespace).
func (l *LAN) Command(ctx context.Context, h Host, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, ipCommand(), append([]string{"netns", "exec", h.Name, name}, args...)...)
}

// Pids lists the processes living in host h's namespace.
func (l *LAN) Pids(ctx context.Context, h Host) ([]int, error) {
	out, err := exec.CommandContext(ctx, ipCommand(), "netns", "pids", h.Name).Output()
	if err != nil {
		return nil, fmt.Errorf("netlab: pids of %s: %w", h.Name, err)
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// Kill kills every process of host h with SIGKILL, as a host that loses its
// power, and waits up to 10 s until none is left. It returns how many it
// killed.
func (l *LAN) Kill(ctx context.Context, h Host) (int, error) {
	pids, err := l.Pids(ctx, h)
	if err != nil {
		return 0, err
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		left, err := l.Pids(ctx, h)
		if err != nil || len(left) == 0 {
			return len(pids), err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return len(pids), fmt.Errorf("netlab: processes of %s still alive 10 s after SIGKILL", h.Name)
}

// Close kills what is left on the hosts and removes the namespaces and the
// bridge (the veth pairs go with their namespaces).
func (l *LAN) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []string
	for _, h := range l.Hosts {
		_, _ = l.Kill(ctx, h)
		if err := l.ip(ctx, []string{"netns", "del", h.Name}); err != nil {
			errs = append(errs, err.Error())
		}
		// A namespace deleted right after SIGKILL can outlive its
		// processes for a while, and keep its veth pair with it.
		if err := l.ip(ctx, []string{"link", "del", h.Name + "0"}); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
			errs = append(errs, err.Error())
		}
	}
	if err := l.ip(ctx, []string{"link", "del", l.bridge}); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// IPCommand is the path of iproute2's ip, for callers that start a
// process on a host themselves (`ip netns exec HOST ...`).
func IPCommand() string { return ipCommand() }

// ipCommand is the path of iproute2's ip: on PATH, else in /usr/sbin or
// /sbin (a PATH without the sbin folders is common outside login shells);
// "" when there is none.
func ipCommand() string {
	if p, err := exec.LookPath("ip"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/ip", "/sbin/ip"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
