package config_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/config"
)

// env is a getenv backed by a map.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// with returns a copy of e with kv (key, value, key, value...) set.
func (e env) with(kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

var (
	twilioEnv = env{
		"TWILIO_ACCOUNT_SID":   "AC00000000000000000000000000000000",
		"TWILIO_AUTH_TOKEN":    "twilio-auth-token-value",
		"TWILIO_API_KEY":       "SK00000000000000000000000000000000",
		"TWILIO_API_SECRET":    "twilio-api-secret-value",
		"TWILIO_TWIML_APP_SID": "AP00000000000000000000000000000000",
		"TWILIO_CALLER_ID":     "+14155552671",
	}
	vonageEnv = env{
		"VONAGE_APPLICATION_ID":   "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		"VONAGE_PRIVATE_KEY":      "", // a key file TestMain writes
		"VONAGE_NUMBER":           "14155552671",
		"VONAGE_SIGNATURE_SECRET": "vonage-signature-secret-value",
	}
)

func load(t *testing.T, e env) *config.Config {
	t.Helper()
	c, err := config.Load(e.get)
	if err != nil {
		t.Fatalf("Load(%v): %v", e, err)
	}
	return c
}

func TestLoadDefaults(t *testing.T) {
	c := load(t, env{})
	got := map[string]any{
		"port":          c.Port,
		"publicURL":     c.PublicURL.String(),
		"mongoURI":      c.MongoURI,
		"database":      c.MongoDatabase,
		"dataDir":       c.DataDir,
		"phoneRegion":   c.PhoneRegion,
		"tokenTTL":      c.TokenTTL,
		"queueMaxWait":  c.QueueMaxWait,
		"voiceProvider": c.VoiceProvider,
		"sessionSecret": len(c.SessionSecret),
		"secure":        c.Secure(),
		"logLevel":      c.LogLevel,
		"rateScale":     c.RateLimitScale,
	}
	want := map[string]any{
		"port":          3000,
		"publicURL":     "http://localhost:3000",
		"mongoURI":      "",
		"database":      "ringdesk",
		"dataDir":       "./data",
		"phoneRegion":   "US",
		"tokenTTL":      time.Hour,
		"queueMaxWait":  10 * time.Minute,
		"voiceProvider": "",
		"sessionSecret": 0,
		"secure":        false,
		"logLevel":      slog.LevelInfo,
		"rateScale":     1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestLoadReadsSettings(t *testing.T) {
	secret := strings.Repeat("s", 32)
	c := load(t, env{
		"PORT":             " 8080 ",
		"PUBLIC_URL":       "https://support.example.com/desk/",
		"MONGODB_URI":      "mongodb://u:p@h1:27017,h2:27017/?replicaSet=rs0",
		"MONGODB_DATABASE": "helpdesk",
		"DATA_DIR":         "/var/lib/ringdesk",
		"SESSION_SECRET":   secret,
		"ADMIN_EMAIL":      "ada@example.com",
		"ADMIN_PASSWORD":   "correct horse battery",
		"PHONE_REGION":     "gb",
		"TOKEN_TTL":        "30m",
		"QUEUE_MAX_WAIT":   "5m",
		"TRUSTED_PROXIES":  "10.0.0.1, 10.0.0.0/8",
		"LOG_LEVEL":        "debug",
	})
	got := map[string]any{
		"port":           c.Port,
		"publicURL":      c.PublicURL.String(),
		"mongoURI":       c.MongoURI,
		"database":       c.MongoDatabase,
		"dataDir":        c.DataDir,
		"sessionSecret":  string(c.SessionSecret),
		"admin":          c.AdminEmail + " " + c.AdminPassword,
		"phoneRegion":    c.PhoneRegion,
		"tokenTTL":       c.TokenTTL,
		"queueMaxWait":   c.QueueMaxWait,
		"trustedProxies": c.TrustedProxies,
		"logLevel":       c.LogLevel,
		"secure":         c.Secure(),
	}
	want := map[string]any{
		"port":           8080,
		"publicURL":      "https://support.example.com/desk",
		"mongoURI":       "mongodb://u:p@h1:27017,h2:27017/?replicaSet=rs0",
		"database":       "helpdesk",
		"dataDir":        "/var/lib/ringdesk",
		"sessionSecret":  secret,
		"admin":          "ada@example.com correct horse battery",
		"phoneRegion":    "GB",
		"tokenTTL":       30 * time.Minute,
		"queueMaxWait":   5 * time.Minute,
		"trustedProxies": []string{"10.0.0.1", "10.0.0.0/8"},
		"logLevel":       slog.LevelDebug,
		"secure":         true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
}

func TestLoadPublicURLDefaultFollowsPort(t *testing.T) {
	c := load(t, env{"PORT": "8080"})
	if got := c.PublicURL.String(); got != "http://localhost:8080" {
		t.Errorf("PublicURL = %q, want http://localhost:8080", got)
	}
}

func TestLoadRejectsBadValuesNamingTheVariable(t *testing.T) {
	tests := []struct {
		name     string
		env      env
		variable string
	}{
		{"port not a number", env{"PORT": "abc"}, "PORT"},
		{"port too big", env{"PORT": "70000"}, "PORT"},
		{"port zero", env{"PORT": "0"}, "PORT"},
		{"port negative", env{"PORT": "-1"}, "PORT"},
		{"public URL with ftp scheme", env{"PUBLIC_URL": "ftp://x"}, "PUBLIC_URL"},
		{"public URL not a URL", env{"PUBLIC_URL": "not a url"}, "PUBLIC_URL"},
		{"public URL without host", env{"PUBLIC_URL": "https://"}, "PUBLIC_URL"},
		{"public URL with query", env{"PUBLIC_URL": "http://x/?a=b"}, "PUBLIC_URL"},
		{"public URL host only", env{"PUBLIC_URL": "support.example.com"}, "PUBLIC_URL"},
		{"MongoDB URI with another scheme", env{"MONGODB_URI": "postgres://x"}, "MONGODB_URI"},
		{"MongoDB URI without scheme", env{"MONGODB_URI": "localhost:27017"}, "MONGODB_URI"},
		{"database name with a dot", env{"MONGODB_DATABASE": "ring.desk"}, "MONGODB_DATABASE"},
		{"session secret too short", env{"SESSION_SECRET": strings.Repeat("s", 31)}, "SESSION_SECRET"},
		{"https without session secret", env{"PUBLIC_URL": "https://support.example.com"}, "SESSION_SECRET"},
		{"admin email without password", env{"ADMIN_EMAIL": "ada@example.com"}, "ADMIN_EMAIL"},
		{"admin password without email", env{"ADMIN_PASSWORD": "correct horse battery"}, "ADMIN_EMAIL"},
		{"unknown phone region", env{"PHONE_REGION": "XX"}, "PHONE_REGION"},
		{"phone region not two letters", env{"PHONE_REGION": "USA"}, "PHONE_REGION"},
		{"token TTL too short", env{"TOKEN_TTL": "1m"}, "TOKEN_TTL"},
		{"token TTL too long", env{"TOKEN_TTL": "25h"}, "TOKEN_TTL"},
		{"token TTL not a duration", env{"TOKEN_TTL": "abc"}, "TOKEN_TTL"},
		{"token TTL without unit", env{"TOKEN_TTL": "3600"}, "TOKEN_TTL"},
		{"queue wait too short", env{"QUEUE_MAX_WAIT": "30s"}, "QUEUE_MAX_WAIT"},
		{"queue wait too long", env{"QUEUE_MAX_WAIT": "2h"}, "QUEUE_MAX_WAIT"},
		{"unknown voice provider", env{"VOICE_PROVIDER": "skype"}, "VOICE_PROVIDER"},
		{"account SID pasted as API key", twilioEnv.with("TWILIO_API_KEY", "AC00000000000000000000000000000000"), "TWILIO_API_KEY"},
		{"account SID too short", twilioEnv.with("TWILIO_ACCOUNT_SID", "AC123"), "TWILIO_ACCOUNT_SID"},
		{"TwiML App SID not hex", twilioEnv.with("TWILIO_TWIML_APP_SID", "APzz000000000000000000000000000000"), "TWILIO_TWIML_APP_SID"},
		{"caller ID without country code", twilioEnv.with("TWILIO_CALLER_ID", "4155552671"), "TWILIO_CALLER_ID"},
		{"caller ID not a number", twilioEnv.with("TWILIO_CALLER_ID", "+1 support"), "TWILIO_CALLER_ID"},
		{"twilio without credentials", env{"VOICE_PROVIDER": "twilio"}, "VOICE_PROVIDER"},
		{"twilio with only Vonage credentials", vonageEnv.with("VOICE_PROVIDER", "twilio"), "VOICE_PROVIDER"},
		{"twilio missing the API secret", twilioEnv.with("VOICE_PROVIDER", "twilio", "TWILIO_API_SECRET", ""), "VOICE_PROVIDER"},
		{"vonage without credentials", env{"VOICE_PROVIDER": "vonage"}, "VOICE_PROVIDER"},
		{"rate limit scale zero", env{"RATE_LIMIT_SCALE": "0"}, "RATE_LIMIT_SCALE"},
		{"unknown log level", env{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"trusted proxy not an address", env{"TRUSTED_PROXIES": "notanip"}, "TRUSTED_PROXIES"},
		{"trusted proxy bad CIDR", env{"TRUSTED_PROXIES": "10.0.0.1, 10.0.0.0/33"}, "TRUSTED_PROXIES"},
		{"host not an address", env{"HOST": "every interface"}, "HOST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(tt.env.get)
			if err == nil {
				t.Fatalf("Load(%v) = %+v, want an error naming %s", tt.env, c, tt.variable)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.variable) {
				t.Errorf("error %q does not start with %s", msg, tt.variable)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is more than one line", msg)
			}
			if len(msg) <= len(tt.variable)+2 {
				t.Errorf("error %q does not say what is wrong", msg)
			}
		})
	}
}

func TestLoadPicksVoiceProvider(t *testing.T) {
	both := twilioEnv.with()
	for k, v := range vonageEnv {
		both[k] = v
	}
	tests := []struct {
		name string
		env  env
		want string
	}{
		{"none configured", env{}, ""},
		{"only twilio", twilioEnv, "twilio"},
		{"only vonage", vonageEnv, "vonage"},
		{"both: twilio first", both, "twilio"},
		{"both, vonage chosen", both.with("VOICE_PROVIDER", "vonage"), "vonage"},
		{"chosen in capitals", both.with("VOICE_PROVIDER", "Vonage"), "vonage"},
		{"incomplete twilio falls back to vonage", both.with("TWILIO_TWIML_APP_SID", ""), "vonage"},
		{"incomplete twilio alone is no provider", twilioEnv.with("TWILIO_AUTH_TOKEN", ""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := load(t, tt.env).VoiceProvider; got != tt.want {
				t.Errorf("VoiceProvider = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLogValueMasksSecrets(t *testing.T) {
	secrets := map[string]string{
		"SESSION_SECRET":          "session-secret-0123456789abcdef0123456789",
		"ADMIN_PASSWORD":          "admin-password-value",
		"TWILIO_AUTH_TOKEN":       "twilio-auth-token-value",
		"TWILIO_API_SECRET":       "twilio-api-secret-value",
		"VONAGE_SIGNATURE_SECRET": "vonage-signature-secret-value",
		"MONGODB_URI password":    "mongo-password-value",
		"MONGODB_URI TLS key":     "tls-key-password-value",
		"MONGODB_URI AWS token":   "aws-session-token-value",
	}
	e := twilioEnv.with()
	for k, v := range vonageEnv {
		e[k] = v
	}
	for k, v := range secrets {
		e[k] = v
	}
	e["ADMIN_EMAIL"] = "ada@example.com"
	e["MONGODB_URI"] = "mongodb://ringdesk:" + secrets["MONGODB_URI password"] + "@db.example.com:27017/?authSource=admin" +
		"&tlsCertificateKeyFilePassword=" + secrets["MONGODB_URI TLS key"] +
		"&authMechanismProperties=AWS_SESSION_TOKEN:" + secrets["MONGODB_URI AWS token"]
	c := load(t, e)

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	out := buf.String()
	for name, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("log output contains %s:\n%s", name, out)
		}
	}

	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line is not JSON: %v\n%s", err, out)
	}
	// Masked, not dropped: the reader can see which secrets are set.
	for _, key := range []string{"sessionSecret", "adminPassword", "twilioAuthToken", "twilioAPISecret", "vonageSignatureSecret"} {
		if line.Config[key] != "***" {
			t.Errorf("config.%s = %v, want ***", key, line.Config[key])
		}
	}
	if uri := line.Config["mongodbURI"]; uri != "mongodb://db.example.com:27017/" {
		t.Errorf("config.mongodbURI = %q, want only scheme, host and path", uri)
	}
	if line.Config["port"] != float64(3000) || line.Config["voiceProvider"] != "twilio" {
		t.Errorf("config = %v, want port 3000 and provider twilio", line.Config)
	}
}

func TestLogValueShowsUnsetSecretsAsEmpty(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", load(t, env{}))
	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line is not JSON: %v", err)
	}
	for _, key := range []string{"sessionSecret", "adminPassword", "twilioAuthToken", "mongodbURI"} {
		if line.Config[key] != "" {
			t.Errorf("config.%s = %v, want empty when unset", key, line.Config[key])
		}
	}
	if line.Config["voiceProvider"] != "none" {
		t.Errorf("config.voiceProvider = %v, want none", line.Config["voiceProvider"])
	}
}

func TestEnsureSessionSecretCreatesKeyFileOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first := load(t, env{"DATA_DIR": dir})
	if err := first.EnsureSessionSecret(); err != nil {
		t.Fatalf("EnsureSessionSecret: %v", err)
	}
	if len(first.SessionSecret) < 32 {
		t.Fatalf("SessionSecret has %d bytes, want at least 32", len(first.SessionSecret))
	}
	path := filepath.Join(dir, "session.key")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("%s mode = %o, want 600", path, mode)
	}

	second := load(t, env{"DATA_DIR": dir})
	if err := second.EnsureSessionSecret(); err != nil {
		t.Fatalf("second EnsureSessionSecret: %v", err)
	}
	if !bytes.Equal(first.SessionSecret, second.SessionSecret) {
		t.Errorf("second start read secret %q, want the first one %q", second.SessionSecret, first.SessionSecret)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	if !after.ModTime().Equal(info.ModTime()) {
		t.Error("second start rewrote session.key")
	}
}

func TestEnsureSessionSecretKeepsConfiguredSecret(t *testing.T) {
	dir := t.TempDir()
	secret := strings.Repeat("k", 40)
	c := load(t, env{"DATA_DIR": dir, "SESSION_SECRET": secret})
	if err := c.EnsureSessionSecret(); err != nil {
		t.Fatalf("EnsureSessionSecret: %v", err)
	}
	if string(c.SessionSecret) != secret {
		t.Errorf("SessionSecret = %q, want the configured %q", c.SessionSecret, secret)
	}
	if _, err := os.Stat(filepath.Join(dir, "session.key")); !os.IsNotExist(err) {
		t.Errorf("session.key was written although SESSION_SECRET is set (stat: %v)", err)
	}
}

func TestEnsureSessionSecretReplacesTooShortKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "session.key")
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := load(t, env{"DATA_DIR": dir})
	if err := c.EnsureSessionSecret(); err != nil {
		t.Fatalf("EnsureSessionSecret: %v", err)
	}
	if len(c.SessionSecret) < 32 {
		t.Errorf("SessionSecret = %q, want a fresh key of at least 32 bytes", c.SessionSecret)
	}
}

// writeDotEnv writes content to a .env file in a temporary directory.
func writeDotEnv(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWithDotEnv(t *testing.T) {
	path := writeDotEnv(t, `# Ringdesk settings

PORT=4000
PUBLIC_URL="http://desk.example.com"
  DATA_DIR = '/srv/ringdesk'
export PHONE_REGION=GB
TOKEN_TTL="30m"
EMPTY=
	# indented comment
HASH=a#b
EQUALS=a=b
QUOTE_INSIDE="it's"
ONE_QUOTE="
`)
	getenv, err := config.WithDotEnv(env{"PORT": "5000", "EMPTY_IN_ENV": ""}.get, path)
	if err != nil {
		t.Fatalf("WithDotEnv: %v", err)
	}
	want := map[string]string{
		"PORT":         "5000", // the environment beats the file
		"PUBLIC_URL":   "http://desk.example.com",
		"DATA_DIR":     "/srv/ringdesk",
		"PHONE_REGION": "GB",
		"TOKEN_TTL":    "30m",
		"EMPTY":        "",
		"HASH":         "a#b",
		"EQUALS":       "a=b",
		"QUOTE_INSIDE": "it's",
		"ONE_QUOTE":    `"`,
		"MISSING":      "",
	}
	got := map[string]string{}
	for k := range want {
		got[k] = getenv(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}

	c, err := config.Load(getenv)
	if err != nil {
		t.Fatalf("Load through WithDotEnv: %v", err)
	}
	if c.Port != 5000 || c.PublicURL.String() != "http://desk.example.com" || c.PhoneRegion != "GB" || c.TokenTTL != 30*time.Minute {
		t.Errorf("Load through WithDotEnv = port %d, %s, %s, %s", c.Port, c.PublicURL, c.PhoneRegion, c.TokenTTL)
	}
}

func TestWithDotEnvMissingFileIsFine(t *testing.T) {
	getenv, err := config.WithDotEnv(env{"PORT": "5000"}.get, filepath.Join(t.TempDir(), "no.env"))
	if err != nil {
		t.Fatalf("WithDotEnv with a missing file: %v", err)
	}
	if got := getenv("PORT"); got != "5000" {
		t.Errorf("PORT = %q, want the environment's 5000", got)
	}
	if got := getenv("DATA_DIR"); got != "" {
		t.Errorf("DATA_DIR = %q, want empty", got)
	}
}

func TestWithDotEnvMalformedLineNamesFileAndLine(t *testing.T) {
	path := writeDotEnv(t, "# comment\nPORT=4000\n\nthis line has no equals sign\n")
	_, err := config.WithDotEnv(env{}.get, path)
	if err == nil {
		t.Fatal("WithDotEnv accepted a line without =")
	}
	if want := path + ":4:"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestWithDotEnvUnreadableFileErrors(t *testing.T) {
	dir := t.TempDir() // a directory cannot be read as a file
	if _, err := config.WithDotEnv(env{}.get, dir); err == nil {
		t.Error("WithDotEnv accepted a directory as .env")
	} else if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the path %s", err, dir)
	}
}

// vonageKey is the application key the Vonage tests load: made when the
// tests start, never stored in the repository.
var vonageKey *rsa.PrivateKey

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ringdesk-config-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if vonageKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	der, _ := x509.MarshalPKCS8PrivateKey(vonageKey)
	path := dir + "/private.key"
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	vonageEnv["VONAGE_PRIVATE_KEY"] = path
	return m.Run()
}

// writePEM writes one PEM block (or, with blockType "", raw bytes) to a
// temporary file and returns its path.
func writePEM(t *testing.T, blockType string, der []byte) string {
	t.Helper()
	content := der
	if blockType != "" {
		content = pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pkcs8(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestLoadVonage(t *testing.T) {
	pkcs1 := writePEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(vonageKey))
	tests := []struct {
		name             string
		env              env
		number, fallback string
	}{
		{"PKCS#8 key, number without +", vonageEnv, "14155552671", ""},
		{"PKCS#1 key", vonageEnv.with("VONAGE_PRIVATE_KEY", pkcs1), "14155552671", ""},
		{"numbers with +", vonageEnv.with("VONAGE_NUMBER", "+447700900123", "VONAGE_FALLBACK_NUMBER", "+14155550199"), "447700900123", "14155550199"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, tt.env)
			v := c.Vonage
			if v.Key == nil || !v.Key.Equal(vonageKey) {
				t.Errorf("Key was not read from %s", tt.env["VONAGE_PRIVATE_KEY"])
			}
			if v.Number != tt.number || v.FallbackNumber != tt.fallback {
				t.Errorf("numbers = %q, %q; want %q, %q (digits only, as NCCOs use them)", v.Number, v.FallbackNumber, tt.number, tt.fallback)
			}
			if c.VoiceProvider != "vonage" || v.ApplicationID != vonageEnv["VONAGE_APPLICATION_ID"] || v.SignatureSecret != vonageEnv["VONAGE_SIGNATURE_SECRET"] {
				t.Errorf("provider %q, Vonage %+v", c.VoiceProvider, v)
			}
		})
	}
	// The key is read whenever it is set, whichever provider is chosen.
	both := twilioEnv.with()
	for k, v := range vonageEnv {
		both[k] = v
	}
	if c := load(t, both); c.VoiceProvider != "twilio" || c.Vonage.Key == nil {
		t.Errorf("with both providers: %q, key read %v", c.VoiceProvider, c.Vonage.Key != nil)
	}
}

func TestLoadRejectsBadVonageSettings(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der := pkcs8(t, vonageKey)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	key := func(path string) env { return vonageEnv.with("VONAGE_PRIVATE_KEY", path) }
	tests := []struct {
		name     string
		env      env
		variable string
	}{
		{"key file missing", key(filepath.Join(t.TempDir(), "missing.key")), "VONAGE_PRIVATE_KEY"},
		{"key path is a directory", key(t.TempDir()), "VONAGE_PRIVATE_KEY"},
		{"key file not PEM", key(writePEM(t, "", []byte("not a key"))), "VONAGE_PRIVATE_KEY"},
		{"key file empty", key(writePEM(t, "", nil)), "VONAGE_PRIVATE_KEY"},
		{"key file is DER, not PEM", key(writePEM(t, "", der)), "VONAGE_PRIVATE_KEY"},
		{"certificate, not a key", key(writePEM(t, "CERTIFICATE", der)), "VONAGE_PRIVATE_KEY"},
		{"public key", key(writePEM(t, "PUBLIC KEY", der)), "VONAGE_PRIVATE_KEY"},
		{"encrypted key", key(writePEM(t, "ENCRYPTED PRIVATE KEY", der)), "VONAGE_PRIVATE_KEY"},
		{"corrupt PKCS#8", key(writePEM(t, "PRIVATE KEY", der[:len(der)/2])), "VONAGE_PRIVATE_KEY"},
		{"corrupt PKCS#1", key(writePEM(t, "RSA PRIVATE KEY", []byte("garbage"))), "VONAGE_PRIVATE_KEY"},
		{"EC key", key(writePEM(t, "PRIVATE KEY", pkcs8(t, ecKey))), "VONAGE_PRIVATE_KEY"},
		{"Ed25519 key", key(writePEM(t, "PRIVATE KEY", pkcs8(t, edKey))), "VONAGE_PRIVATE_KEY"},
		{"1024-bit RSA key", key(writePEM(t, "PRIVATE KEY", pkcs8(t, small))), "VONAGE_PRIVATE_KEY"},
		{"1024-bit PKCS#1 key", key(writePEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small))), "VONAGE_PRIVATE_KEY"},
		{"the key itself instead of a path", key(keyPEM), "VONAGE_PRIVATE_KEY"},
		{"application id not a UUID", vonageEnv.with("VONAGE_APPLICATION_ID", "my-app"), "VONAGE_APPLICATION_ID"},
		{"application id with junk", vonageEnv.with("VONAGE_APPLICATION_ID", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeeg"), "VONAGE_APPLICATION_ID"},
		{"number not a number", vonageEnv.with("VONAGE_NUMBER", "support"), "VONAGE_NUMBER"},
		{"number with spaces", vonageEnv.with("VONAGE_NUMBER", "+1 415 555 2671"), "VONAGE_NUMBER"},
		{"number too short", vonageEnv.with("VONAGE_NUMBER", "12345"), "VONAGE_NUMBER"},
		{"number with a national prefix", vonageEnv.with("VONAGE_NUMBER", "004414155552671"), "VONAGE_NUMBER"},
		{"number with an unknown country code", vonageEnv.with("VONAGE_NUMBER", "+99912345678"), "VONAGE_NUMBER"},
		{"fallback not a number", vonageEnv.with("VONAGE_FALLBACK_NUMBER", "call me"), "VONAGE_FALLBACK_NUMBER"},
		{"fallback without a number", vonageEnv.with("VONAGE_NUMBER", "", "VONAGE_FALLBACK_NUMBER", "14155550199"), "VONAGE_FALLBACK_NUMBER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(tt.env.get)
			if err == nil {
				t.Fatalf("Load = %+v, want an error naming %s", c, tt.variable)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.variable+":") {
				t.Errorf("error %q does not start with %s:", msg, tt.variable)
			}
			if strings.Contains(msg, "\n") || len(msg) <= len(tt.variable)+2 {
				t.Errorf("error %q is not one line saying what is wrong", msg)
			}
			if strings.Contains(msg, "MII") { // base64 DER of a key
				t.Errorf("error %q quotes key material", msg)
			}
		})
	}
}

func TestVonageKeyIsNeverLogged(t *testing.T) {
	c := load(t, vonageEnv)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	if strings.Contains(buf.String(), vonageEnv["VONAGE_SIGNATURE_SECRET"]) {
		t.Errorf("the log shows VONAGE_SIGNATURE_SECRET:\n%s", buf.String())
	}
	// Printed whole, the config shows the key's address, never its numbers.
	out := buf.String() + fmt.Sprintf("%v %+v", c, c)
	for _, part := range []string{vonageKey.D.String(), vonageKey.Primes[0].String(), vonageKey.Primes[1].String()} {
		if strings.Contains(out, part) {
			t.Fatalf("the configuration's log or %%v output shows the private key:\n%s", out)
		}
	}
}

func TestLoadDialCountries(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string
	}{
		{"default: PHONE_REGION's country", env{}, []string{"US"}},
		{"default follows PHONE_REGION", env{"PHONE_REGION": "gb"}, []string{"GB"}},
		{"a list, trimmed and upper-cased", env{"DIAL_COUNTRIES": " us, ca ,GB"}, []string{"US", "CA", "GB"}},
		{"duplicates once", env{"DIAL_COUNTRIES": "US,us"}, []string{"US"}},
		{"need not include PHONE_REGION", env{"PHONE_REGION": "US", "DIAL_COUNTRIES": "DE"}, []string{"DE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, load(t, tt.env).DialCountries); diff != "" {
				t.Errorf("DialCountries (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"XX", "USA", "US,,GB", "US;GB", "1", "US, Canada"} {
		c, err := config.Load(env{"DIAL_COUNTRIES": bad}.get)
		if err == nil {
			t.Errorf("DIAL_COUNTRIES=%q: Load = %v, want an error", bad, c.DialCountries)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "DIAL_COUNTRIES: ") || strings.Contains(msg, "\n") {
			t.Errorf("DIAL_COUNTRIES=%q: error %q is not one line naming DIAL_COUNTRIES", bad, msg)
		}
	}
}

// TestLoadVonageOnHTTPSNeedsSignatureSecret: on a public https address,
// unsigned Vonage webhooks would accept forgeries, so start-up stops.
func TestLoadVonageOnHTTPSNeedsSignatureSecret(t *testing.T) {
	https := vonageEnv.with("PUBLIC_URL", "https://support.example.com", "SESSION_SECRET", strings.Repeat("s", 32))
	_, err := config.Load(https.with("VONAGE_SIGNATURE_SECRET", "").get)
	if err == nil {
		t.Fatal("Vonage on https without VONAGE_SIGNATURE_SECRET started")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "VONAGE_SIGNATURE_SECRET: ") || strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line naming VONAGE_SIGNATURE_SECRET", msg)
	}
	// With the secret, on plain http (development), or with Twilio as the
	// provider, it starts.
	load(t, https)
	load(t, vonageEnv.with("VONAGE_SIGNATURE_SECRET", ""))
	both := https.with("VONAGE_SIGNATURE_SECRET", "", "VOICE_PROVIDER", "twilio")
	for k, v := range twilioEnv {
		both[k] = v
	}
	if c := load(t, both); c.VoiceProvider != "twilio" {
		t.Errorf("VoiceProvider = %q, want twilio", c.VoiceProvider)
	}
}
