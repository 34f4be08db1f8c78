package s3media

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteCredentialsFile writes an AWS shared credentials file (the format
// of ~/.aws/credentials) holding one profile with static keys, readable by
// its owner only (0600): the way an S3-compatible server's keys reach the
// worker without being in the platform description, which names the file
// (media.credentials_file). It replaces the file atomically.
func WriteCredentialsFile(path, profile, accessKey, secretKey string) error {
	if profile == "" {
		profile = DefaultProfile
	}
	for name, v := range map[string]string{"profile": profile, "access key": accessKey, "secret key": secretKey} {
		if v == "" || strings.ContainsAny(v, "\r\n[]") {
			return fmt.Errorf("credentials file %s: the %s is empty or holds a line break or a bracket", path, name)
		}
	}
	body := fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", profile, accessKey, secretKey)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	if _, err := tmp.WriteString(body); err != nil {
		tmp.Close()
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	return nil
}
