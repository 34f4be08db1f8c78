package pg

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// hbaMarker opens the block of pg_hba.conf that writeTrustedNetwork owns.
const hbaMarker = "# Lazarus: the network of ClusterConfig.Network (platform/pg)"

// listenAddresses is 127.0.0.1, plus the address of network when set.
func listenAddresses(network string) string {
	ip, _, err := net.ParseCIDR(network)
	if network == "" || err != nil || ip.IsLoopback() {
		return "127.0.0.1"
	}
	return "127.0.0.1," + ip.String()
}

// checkNetwork refuses a Network that is not an address with a prefix.
func checkNetwork(network string) error {
	if network == "" {
		return nil
	}
	if _, _, err := net.ParseCIDR(network); err != nil {
		return fmt.Errorf("network %q is not an address with its prefix length, such as 10.77.0.1/24", network)
	}
	return nil
}

// writeTrustedNetwork rewrites the block of pg_hba.conf after hbaMarker: a
// trust rule for network's hosts, or nothing when network is empty. What
// initdb wrote before the marker is kept.
func writeTrustedNetwork(hba, network string) error {
	raw, err := os.ReadFile(hba)
	if errors.Is(err, os.ErrNotExist) {
		return nil // not made yet: Init writes it once initdb ran
	}
	if err != nil {
		return err
	}
	text := string(raw)
	if i := strings.Index(text, "\n"+hbaMarker); i >= 0 {
		text = text[:i+1]
	}
	if network != "" {
		_, n, err := net.ParseCIDR(network)
		if err != nil {
			return checkNetwork(network)
		}
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += hbaMarker + "\nhost all all " + n.String() + " trust\n"
	}
	if text == string(raw) {
		return nil
	}
	info, err := os.Stat(hba)
	if err != nil {
		return err
	}
	return os.WriteFile(hba, []byte(text), info.Mode().Perm())
}
