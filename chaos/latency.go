package chaos

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// latencyProxy is a TCP proxy that holds every chunk a client sends for a
// set delay before passing it on: real network latency between the worker
// and a server, that the scenario can lift at any moment.
type latencyProxy struct {
	l      net.Listener
	target string
	delay  atomic.Int64 // nanoseconds
	wg     sync.WaitGroup
}

// startLatencyProxy listens on a free loopback port in front of target
// (host:port).
func startLatencyProxy(target string, delay time.Duration) (*latencyProxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("latency proxy: %w", err)
	}
	p := &latencyProxy{l: l, target: target}
	p.delay.Store(int64(delay))
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// addr is where clients connect.
func (p *latencyProxy) addr() string { return p.l.Addr().String() }

// setDelay changes the delay of every chunk from now on.
func (p *latencyProxy) setDelay(d time.Duration) { p.delay.Store(int64(d)) }

// close stops accepting; open connections end with their peers.
func (p *latencyProxy) close() {
	_ = p.l.Close()
	p.wg.Wait()
}

func (p *latencyProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *latencyProxy) serve(c net.Conn) {
	defer c.Close()
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	defer s.Close()
	go func() {
		_, _ = io.Copy(c, s)
		_ = c.Close()
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			time.Sleep(time.Duration(p.delay.Load()))
			if _, werr := s.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// workerPlatformVia writes a copy of the platform description at src in
// which the media endpoint is the proxy's, for the workers only (the
// sandbox and the verification keep the direct one).
func workerPlatformVia(src, dst, endpoint string, p *latencyProxy) error {
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
	via := strings.Replace(endpoint, host, p.addr(), 1)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, []byte(strings.Replace(text, endpoint, via, 1)), 0o644)
}
