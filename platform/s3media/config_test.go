package s3media

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lazarus-dr/lazarus/platform"
)

// credentialsFile writes a credentials file with one default profile.
func credentialsFile(t *testing.T, access, secret string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials")
	if err := WriteCredentialsFile(path, "", access, secret); err != nil {
		t.Fatal(err)
	}
	return path
}

// noAWSEnvironment empties the AWS variables of the environment, so that
// a test sees only what it sets.
func noAWSEnvironment(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// signer is an S3 stand-in that records the access key of each request's
// signature and answers an empty listing.
type signer struct {
	mu   sync.Mutex
	keys []string
}

func (s *signer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	key := ""
	if i := strings.Index(auth, "Credential="); i >= 0 {
		key = strings.SplitN(auth[i+len("Credential="):], "/", 2)[0]
	}
	s.mu.Lock()
	s.keys = append(s.keys, key)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	_, _ = w.Write([]byte(`<ListVersionsResult><Name>b</Name><IsTruncated>false</IsTruncated></ListVersionsResult>`))
}

func (s *signer) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) == 0 {
		return ""
	}
	return s.keys[len(s.keys)-1]
}

// The keys come from the credentials file the description names, even
// when the environment has others; without a file, from the environment.
func TestCredentialsComeFromTheFileOrTheEnvironment(t *testing.T) {
	noAWSEnvironment(t)
	h := &signer{}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	for _, c := range []struct {
		name string
		m    platform.Media
		want string
	}{
		{"file", platform.Media{Endpoint: srv.URL, Bucket: "b", CredentialsFile: credentialsFile(t, "FILEKEY", "file-secret")}, "FILEKEY"},
		{"environment", platform.Media{Endpoint: srv.URL, Bucket: "b"}, "ENVKEY"},
	} {
		st, err := New(c.m)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := st.History(context.Background(), "sites/x/"); err != nil {
			t.Fatalf("%s: list: %v", c.name, err)
		}
		if got := h.last(); got != c.want {
			t.Errorf("%s: request signed with key %q, want %q", c.name, got, c.want)
		}
	}
}

// A profile of the AWS config files is read by name; region too.
func TestProfileAndRegionFromTheSharedConfig(t *testing.T) {
	noAWSEnvironment(t)
	h := &signer{}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	creds := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if err := WriteCredentialsFile(creds, "restore", "PROFILEKEY", "profile-secret"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile restore]\nregion = eu-west-3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := New(platform.Media{Endpoint: srv.URL, Bucket: "b", Profile: "restore"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.History(context.Background(), "sites/x/"); err != nil {
		t.Fatal(err)
	}
	if got := h.last(); got != "PROFILEKEY" {
		t.Errorf("signed with %q, want PROFILEKEY", got)
	}
	if got := st.client.Options().Region; got != "eu-west-3" {
		t.Errorf("region %q, want the profile's eu-west-3", got)
	}
}

// A missing credentials file, an unknown profile, an unreadable CA file
// and a bad endpoint are each one clear error, before any request.
func TestBadMediaSettingsAreClear(t *testing.T) {
	noAWSEnvironment(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    platform.Media
		want string
	}{
		{platform.Media{Bucket: "b", CredentialsFile: filepath.Join(dir, "nope")}, "credentials_file " + filepath.Join(dir, "nope") + " cannot be read"},
		{platform.Media{Bucket: "b", Profile: "nobody"}, `profile "nobody"`},
		{platform.Media{Bucket: "b", CAFile: filepath.Join(dir, "none.pem")}, "ca_file " + filepath.Join(dir, "none.pem") + " cannot be read"},
		{platform.Media{Bucket: "b", CAFile: notPEM}, "holds no PEM certificate"},
		{platform.Media{Bucket: "b", Endpoint: "s3.example.com"}, `endpoint "s3.example.com" is not a URL`},
		{platform.Media{}, "bucket is empty"},
	} {
		_, err := New(c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want one line with %q", c.m, err, c.want)
		}
	}
}

// CAFile verifies a server whose certificate no system CA signed; without
// it the same server is refused.
func TestCAFileVerifiesTheServer(t *testing.T) {
	noAWSEnvironment(t)
	srv := httptest.NewTLSServer(&signer{})
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	block := &pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}
	if err := os.WriteFile(ca, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	creds := credentialsFile(t, "K", "s")
	with, err := New(platform.Media{Endpoint: srv.URL, Bucket: "b", CredentialsFile: creds, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := with.History(context.Background(), "sites/x/"); err != nil {
		t.Errorf("with the CA file: %v", err)
	}
	without, err := New(platform.Media{Endpoint: srv.URL, Bucket: "b", CredentialsFile: creds})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := without.History(context.Background(), "sites/x/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA file: %v, want a certificate error", err)
	}
}

// The credentials file is its owner's only, in the AWS format.
func TestCredentialsFileIsPrivate(t *testing.T) {
	path := credentialsFile(t, "AK", "SK")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	if string(raw) != "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n" {
		t.Errorf("content %q", raw)
	}
	if err := WriteCredentialsFile(path, "", "AK", "bad\nsecret"); err == nil {
		t.Error("a secret with a line break was written")
	}
}
