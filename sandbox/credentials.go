package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/lazarus-dr/lazarus/platform/s3media"
)

// s3CredentialsFile is the sandbox's S3 keys, in the AWS shared credentials
// format (mode 0600): platform.yaml names it (media.credentials_file), it
// never holds the keys.
const s3CredentialsFile = "s3-credentials"

// S3Credentials is the path of the sandbox's S3 credentials file.
func (l Layout) S3Credentials() string { return filepath.Join(l.Root, s3CredentialsFile) }

// randomSecret is n random bytes in hex.
func randomSecret(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// s3Keys are the S3 server's root keys: those of the credentials file, or,
// when there is none yet, the state's access key and a random secret key,
// written into a new one. The secret is never in state.json nor in
// platform.yaml.
func (p *Platform) s3Keys(ctx context.Context) (access, secret string, err error) {
	path := p.layout.S3Credentials()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		secret, err := randomSecret(20)
		if err != nil {
			return "", "", err
		}
		access := p.state.AccessKey
		if access == "" {
			access = "lazarus"
		}
		if err := s3media.WriteCredentialsFile(path, "", access, secret); err != nil {
			return "", "", fmt.Errorf("S3 server: %w", err)
		}
	}
	sc, err := config.LoadSharedConfigProfile(ctx, s3media.DefaultProfile, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{path}
		o.ConfigFiles = []string{}
	})
	if err != nil {
		return "", "", fmt.Errorf("S3 server: credentials file %s: %w", path, err)
	}
	if !sc.Credentials.HasKeys() {
		return "", "", fmt.Errorf("S3 server: credentials file %s holds no keys in profile %s", path, s3media.DefaultProfile)
	}
	return sc.Credentials.AccessKeyID, sc.Credentials.SecretAccessKey, nil
}
