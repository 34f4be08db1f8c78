//go:build integration

package sandbox

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/lazarus-dr/lazarus/internal/portowner"
)

// TestGatewayNeverTakesAnotherProcessesPort: on a port another process
// already listens on, the S3 server is not taken for up (the CI failure of
// stop 20: the sandbox talked S3 to a gRPC server that had taken its port);
// with a port to pick, it gets one of its own.
func TestGatewayNeverTakesAnotherProcessesPort(t *testing.T) {
	thief, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer thief.Close()
	taken := thief.Addr().(*net.TCPAddr).Port

	p, err := newPlatform(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.state = &State{AccessKey: "lazarus", Bucket: "media"}
	p.state.Ports.S3 = taken
	err = p.startGateway(context.Background())
	if !errors.Is(err, errGatewayLostPort) {
		t.Fatalf("start on a taken port %d: want errGatewayLostPort, got %v", taken, err)
	}

	p.state.Ports.S3 = 0
	if err := p.startGateway(context.Background()); err != nil {
		t.Fatalf("start on a picked port: %v", err)
	}
	defer p.stopGateway()
	if p.state.Ports.S3 == 0 || p.state.Ports.S3 == taken {
		t.Fatalf("picked port %d (taken %d)", p.state.Ports.S3, taken)
	}
	if ok, err := portowner.Listens(p.gw.Process.Pid, p.state.Ports.S3); !ok {
		t.Fatalf("versitygw pid %d does not listen on %d: %v", p.gw.Process.Pid, p.state.Ports.S3, err)
	}
}
