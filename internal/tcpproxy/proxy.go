// Package tcpproxy is a TCP forwarder for tests and scenarios: it listens on
// one address and passes every connection on to a target, optionally holding
// each chunk a client sends for a delay (real network latency that can be
// lifted at any moment).
//
// It is how a test puts a network between a worker and a server: in front of
// a server that listens on loopback only, on an address another network
// namespace reaches. It must never be part of a restore's own path.
package tcpproxy

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards the connections it accepts to its target.
type Proxy struct {
	l      net.Listener
	target string
	delay  atomic.Int64 // nanoseconds
	wg     sync.WaitGroup
}

// Listen starts a proxy on addr (host:port; port 0 picks a free one) in
// front of target (host:port), delaying each client chunk by delay.
func Listen(addr, target string, delay time.Duration) (*Proxy, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy to %s: listen on %s: %w", target, addr, err)
	}
	return Serve(l, target, delay), nil
}

// Serve forwards the connections l accepts to target, as Listen does; l
// may be any listener (a TLS one terminates TLS in front of a plain
// target). Close closes l.
func Serve(l net.Listener, target string, delay time.Duration) *Proxy {
	p := &Proxy{l: l, target: target}
	p.delay.Store(int64(delay))
	p.wg.Add(1)
	go p.accept()
	return p
}

// Addr is where clients connect.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// SetDelay changes the delay of every chunk from now on.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// Close stops accepting; open connections end with their peers.
func (p *Proxy) Close() {
	_ = p.l.Close()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
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
			if d := time.Duration(p.delay.Load()); d > 0 {
				time.Sleep(d)
			}
			if _, werr := s.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
