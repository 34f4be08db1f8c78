package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/portowner"
	"github.com/lazarus-dr/lazarus/internal/tools"
)

// startGateway runs versitygw (posix backend with a versioning folder) in
// its own process group and waits until that very process listens on the
// S3 port (a dial alone could reach another process that took the port).
// A port of 0 is picked here, right before the bind; when the server loses
// a picked port to another process, it is started again on a new one.
func (p *Platform) startGateway(ctx context.Context) error {
	if p.state.GatewayPID != 0 && processAlive(p.state.GatewayPID, "versitygw") {
		// Left over by an Up that died: stop it, then start ours.
		_ = syscall.Kill(p.state.GatewayPID, syscall.SIGTERM)
		waitGone(p.state.GatewayPID, 5*time.Second)
	}
	bin, err := tools.VersityGW()
	if err != nil {
		return fmt.Errorf("S3 server: %w", err)
	}
	for _, d := range []string{p.layout.S3Root(), p.layout.S3Versions()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("S3 server: %w", err)
		}
	}
	picked := p.state.Ports.S3 == 0
	const attempts = 3
	for i := 1; ; i++ {
		if picked {
			if p.state.Ports.S3, err = freePort(); err != nil {
				return fmt.Errorf("S3 server: %w", err)
			}
		}
		err := p.runGateway(ctx, bin)
		if err == nil || !errors.Is(err, errGatewayLostPort) || !picked || i == attempts {
			return err
		}
		p.log.Warn("S3 server lost its port to another process; trying another", zap.Int("port", p.state.Ports.S3))
	}
}

// errGatewayLostPort: versitygw exited at start while the port answered,
// so another process holds it.
var errGatewayLostPort = errors.New("the port is held by another process")

// runGateway starts versitygw once on the recorded S3 port and waits until
// it listens there.
func (p *Platform) runGateway(ctx context.Context, bin string) error {
	port := p.state.Ports.S3
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logf, err := os.OpenFile(p.layout.S3Log(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("S3 server: %w", err)
	}
	access, secret, err := p.s3Keys(ctx)
	if err != nil {
		logf.Close()
		return err
	}
	// The keys go through the environment, not the command line, which
	// every user of the machine can read (ps).
	cmd := exec.Command(bin, "--port", addr, "posix", "--versioning-dir", p.layout.S3Versions(), p.layout.S3Root())
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+access, "ROOT_SECRET_ACCESS_KEY="+secret)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("S3 server: start %s: %w", bin, err)
	}
	logf.Close()
	p.gw = cmd
	p.gwErr = make(chan error, 1)
	go func() { p.gwErr <- cmd.Wait() }()
	p.state.GatewayPID = cmd.Process.Pid
	if err := writeState(p.layout, p.state); err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if ok, _ := portowner.Listens(cmd.Process.Pid, port); ok {
			break
		}
		select {
		case werr := <-p.gwErr:
			p.gw = nil
			if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
				c.Close()
				return fmt.Errorf("S3 server on %s exited at start (%v): %w", addr, werr, errGatewayLostPort)
			}
			return fmt.Errorf("S3 server exited at start (%v); see %s", werr, p.layout.S3Log())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("S3 server on %s did not listen within 15s; see %s", addr, p.layout.S3Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.log.Info("S3 server up", zap.String("addr", addr), zap.Int("pid", cmd.Process.Pid))
	return nil
}

func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for processAlive(pid, "") {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// stopGateway stops versitygw: SIGTERM, then SIGKILL after 5 s.
func (p *Platform) stopGateway() error {
	if p.gw != nil {
		_ = p.gw.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.gwErr:
		case <-time.After(5 * time.Second):
			_ = p.gw.Process.Kill()
			<-p.gwErr
		}
		p.gw = nil
		return nil
	}
	if p.state == nil || p.state.GatewayPID == 0 {
		return nil
	}
	pid := p.state.GatewayPID
	if !processAlive(pid, "versitygw") {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if !waitGone(pid, 5*time.Second) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		if !waitGone(pid, 5*time.Second) {
			return fmt.Errorf("S3 server pid %d does not stop", pid)
		}
	}
	return nil
}

// ensureBucket creates the media bucket (idempotent) with versioning on.
func (p *Platform) ensureBucket(ctx context.Context) error {
	c := p.media.Client()
	b := aws.String(p.state.Bucket)
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b}); err != nil {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
			var owned *types.BucketAlreadyOwnedByYou
			var exists *types.BucketAlreadyExists
			if !errors.As(err, &owned) && !errors.As(err, &exists) {
				return fmt.Errorf("create bucket %s: %w", p.state.Bucket, err)
			}
		}
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	}); err != nil {
		return fmt.Errorf("enable versioning on bucket %s: %w", p.state.Bucket, err)
	}
	return nil
}
