package tcpproxy

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echo serves one line back per connection.
func echo(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				_, _ = c.Write([]byte(line))
			}()
		}
	}()
	return l.Addr().String()
}

func roundTrip(t *testing.T, addr string) time.Duration {
	t.Helper()
	began := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "ping\n" {
		t.Fatalf("through the proxy: %q %v", got, err)
	}
	return time.Since(began)
}

func TestProxyForwardsAndDelaysUntilLifted(t *testing.T) {
	p, err := Listen("127.0.0.1:0", echo(t), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if d := roundTrip(t, p.Addr()); d < 200*time.Millisecond {
		t.Fatalf("round trip %s with a 200ms delay", d)
	}
	p.SetDelay(0)
	if d := roundTrip(t, p.Addr()); d > 150*time.Millisecond {
		t.Fatalf("round trip %s after the delay was lifted", d)
	}
}

func TestListenNamesTheAddress(t *testing.T) {
	p, err := Listen("127.0.0.1:0", "127.0.0.1:1", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := Listen(p.Addr(), "127.0.0.1:1", 0); err == nil {
		t.Fatal("a second proxy took a port in use")
	}
}
