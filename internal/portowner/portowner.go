// Package portowner tells whether a given process is the one listening on a
// loopback TCP port, from Linux's /proc.
//
// A server started on a port picked in advance may lose that port to
// another process between the pick and its bind; a plain dial then reaches
// the other process and looks like success. Callers that start a server
// wait for Listens instead of a dial.
//
// It only reads /proc; it must never open sockets or signal processes.
package portowner

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tcpListen is the state column of /proc/net/tcp for a listening socket.
const tcpListen = "0A"

// Listens reports whether process pid holds a listening TCP socket on port
// (any local address, IPv4 or IPv6).
func Listens(pid, port int) (bool, error) {
	inodes, err := socketInodes(pid)
	if err != nil {
		return false, err
	}
	if len(inodes) == 0 {
		return false, nil
	}
	for _, table := range []string{"tcp", "tcp6"} {
		ok, err := listedListening(filepath.Join("/proc", strconv.Itoa(pid), "net", table), port, inodes)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// socketInodes returns the inodes of the sockets pid has open.
func socketInodes(pid int) (map[string]bool, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open file descriptors of pid %d: %w", pid, err)
	}
	out := map[string]bool{}
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed since ReadDir
		}
		if in, ok := strings.CutPrefix(link, "socket:["); ok {
			out[strings.TrimSuffix(in, "]")] = true
		}
	}
	return out, nil
}

// listedListening scans one /proc/net/tcp{,6} table for a listening socket
// on port whose inode is in inodes.
func listedListening(path string, port int, inodes map[string]bool) (bool, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != tcpListen || !strings.HasSuffix(f[1], want) {
			continue
		}
		if inodes[f[9]] {
			return true, nil
		}
	}
	return false, sc.Err()
}
