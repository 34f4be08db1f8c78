package s3media

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/lazarus-dr/lazarus/platform"
)

// DefaultRegion is the region of a media store whose description, profile
// and environment name none.
const DefaultRegion = "us-east-1"

// DefaultProfile is the profile read from a credentials file named in the
// description when it names no profile.
const DefaultProfile = "default"

// awsConfig loads the AWS configuration of a media store through the AWS
// default chain (config.LoadDefaultConfig): the environment
// (AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE for IRSA...),
// the shared config and credentials files, SSO, the instance's role. A
// credentials file or a profile named in the description wins over the
// environment's keys: the SDK honours a profile given in code first. No
// secret is read from the description itself.
func awsConfig(ctx context.Context, m platform.Media) (aws.Config, error) {
	client, err := httpClient(m.CAFile)
	if err != nil {
		return aws.Config{}, err
	}
	opts := []func(*config.LoadOptions) error{config.WithHTTPClient(client)}
	if m.Region != "" {
		opts = append(opts, config.WithRegion(m.Region))
	}
	profile := m.Profile
	if m.CredentialsFile != "" {
		if _, err := os.Stat(m.CredentialsFile); err != nil {
			return aws.Config{}, fmt.Errorf("media store: credentials_file %s cannot be read: %w", m.CredentialsFile, err)
		}
		opts = append(opts, config.WithSharedCredentialsFiles([]string{m.CredentialsFile}))
		if profile == "" {
			profile = DefaultProfile
		}
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("media store: AWS configuration (profile %q, credentials file %q): %w", profile, m.CredentialsFile, err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return cfg, nil
}

// httpClient is the S3 client's HTTP client: bounded dials, TLS handshakes
// and waits for headers (see the package's deadlines), and, when caFile is
// set, the system's CAs plus those of caFile to verify the server.
func httpClient(caFile string) (*awshttp.BuildableClient, error) {
	var roots *x509.CertPool
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("media store: ca_file %s cannot be read: %w", caFile, err)
		}
		if roots, err = x509.SystemCertPool(); err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("media store: ca_file %s holds no PEM certificate", caFile)
		}
	}
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = DialTimeout }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = TLSHandshakeTimeout
			tr.ResponseHeaderTimeout = ResponseHeaderTimeout
			if roots != nil {
				if tr.TLSClientConfig == nil {
					tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				tr.TLSClientConfig.RootCAs = roots
			}
		}), nil
}
