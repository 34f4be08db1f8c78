package netlab

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as the programs the hosts run: with
// NETLAB_SERVE=addr it answers "hello from <addr>" to each connection;
// with NETLAB_DIAL=addr it prints what addr answers.
func TestMain(m *testing.M) {
	if addr := os.Getenv("NETLAB_SERVE"); addr != "" {
		serve(addr)
		return
	}
	if addr := os.Getenv("NETLAB_DIAL"); addr != "" {
		line, err := dial(addr)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Print(line)
		return
	}
	os.Exit(m.Run())
}

func serve(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		_, _ = fmt.Fprintf(c, "hello from %s\n", addr)
		_ = c.Close()
	}
}

func dial(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return bufio.NewReader(c).ReadString('\n')
}

// from runs the test binary on host h to dial addr.
func from(ctx context.Context, lan *LAN, h Host, addr string) string {
	cmd := lan.Command(ctx, h, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "NETLAB_DIAL="+addr)
	out, _ := cmd.CombinedOutput()
	return strings.TrimSpace(string(out))
}

// Two hosts reach the platform side and each other across the bridge, not
// the platform's loopback; a killed host's processes are gone.
func TestHostsReachEachOtherAcrossTheBridge(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lan, err := New(ctx, 2)
	if lan != nil {
		t.Cleanup(func() {
			if err := lan.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	a, b := lan.Hosts[0], lan.Hosts[1]
	platform := net.JoinHostPort(lan.Gateway, "17001")
	go serve(platform)
	loopback := "127.0.0.1:17002"
	go serve(loopback)
	onB := net.JoinHostPort(b.IP, "17003")
	srv := lan.Command(ctx, b, os.Args[0], "-test.run=^$")
	srv.Env = append(os.Environ(), "NETLAB_SERVE="+onB)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if got := from(ctx, lan, a, platform); got != "hello from "+platform {
		t.Fatalf("host a to the platform side: %q", got)
	}
	if got := from(ctx, lan, a, loopback); strings.Contains(got, "hello") {
		t.Fatalf("host a reached the platform's loopback: %q", got)
	}
	var got string
	for i := 0; i < 50 && got != "hello from "+onB; i++ {
		time.Sleep(50 * time.Millisecond)
		got = from(ctx, lan, a, onB)
	}
	if got != "hello from "+onB {
		t.Fatalf("host a to host b: %q", got)
	}
	n, err := lan.Kill(ctx, b)
	if err != nil || n == 0 {
		t.Fatalf("kill host b: %d killed, %v", n, err)
	}
	_ = srv.Wait()
	if got := from(ctx, lan, a, onB); strings.Contains(got, "hello") {
		t.Fatalf("host b answers after its kill: %q", got)
	}
}
