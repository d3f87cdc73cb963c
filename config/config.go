// Package config loads Ringdesk's settings from the environment (and an
// optional .env file) and checks them before anything starts.
package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"

	"github.com/ringdesk/ringdesk/models/mongo"
)

// Config is every setting Ringdesk reads.
type Config struct {
	Port int
	// Host is the address to listen on; empty means every interface.
	Host      string
	PublicURL *url.URL

	MongoURI      string
	MongoDatabase string
	DataDir       string

	// SessionSecret signs session cookies; when SESSION_SECRET is unset it
	// is generated once and kept in DataDir (see EnsureSessionSecret).
	SessionSecret []byte

	AdminEmail    string
	AdminPassword string

	PhoneRegion string
	// DialCountries are the ISO regions (upper case) an agent may call as
	// a typed number; DIAL_COUNTRIES, by default PhoneRegion alone.
	DialCountries []string

	// VoiceProvider is "twilio", "vonage" or "" when calling is not set up.
	VoiceProvider string
	Twilio        Twilio
	Vonage        Vonage
	TokenTTL      time.Duration
	// QueueMaxWait is how long a customer's call may wait in line before
	// it is offered voicemail.
	QueueMaxWait time.Duration

	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	TrustedProxies []string
	// RateLimitScale multiplies every per-IP limit; load tests raise it.
	RateLimitScale int
	// TicketRateLimit caps the tickets all anonymous customers together
	// may create per minute (times RateLimitScale).
	TicketRateLimit int
	// MetricsToken is the bearer token GET /metrics requires; empty
	// closes /metrics.
	MetricsToken string
	// LogLevel is debug, info, warn or error.
	LogLevel slog.Level
}

// Twilio holds the Twilio account settings.
type Twilio struct {
	AccountSID, AuthToken, APIKey, APISecret, TwiMLAppSID, CallerID string
}

// Configured reports whether every setting calling needs is present.
func (t Twilio) Configured() bool {
	return t.AccountSID != "" && t.AuthToken != "" && t.APIKey != "" && t.APISecret != "" && t.TwiMLAppSID != ""
}

// validate checks the shape of each Twilio setting that is present, so a
// value pasted into the wrong variable is caught at start-up rather than
// on the first call.
func (t Twilio) validate() error {
	for _, f := range []struct{ name, value, prefix string }{
		{"TWILIO_ACCOUNT_SID", t.AccountSID, "AC"},
		{"TWILIO_API_KEY", t.APIKey, "SK"},
		{"TWILIO_TWIML_APP_SID", t.TwiMLAppSID, "AP"},
	} {
		if f.value != "" && !isSID(f.value, f.prefix) {
			return fmt.Errorf("%s: must be %s followed by 32 hexadecimal characters", f.name, f.prefix)
		}
	}
	if t.CallerID != "" {
		num, err := phonenumbers.Parse(t.CallerID, "")
		if err != nil || !strings.HasPrefix(t.CallerID, "+") || phonenumbers.Format(num, phonenumbers.E164) != t.CallerID {
			return errors.New("TWILIO_CALLER_ID: must be a phone number in E.164 form, e.g. +14155550100")
		}
	}
	return nil
}

func isSID(s, prefix string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, prefix) {
		return false
	}
	_, err := hex.DecodeString(s[2:])
	return err == nil
}

// Vonage holds the Vonage application settings.
type Vonage struct {
	ApplicationID, PrivateKeyPath, SignatureSecret string
	// Number and FallbackNumber are digits only (E.164 without +), the
	// form NCCOs use.
	Number, FallbackNumber string
	// Key is VONAGE_PRIVATE_KEY, read and parsed once at start-up; it
	// signs browser tokens and is never logged.
	Key *rsa.PrivateKey
}

// Configured reports whether every setting calling needs is present.
func (v Vonage) Configured() bool {
	return v.ApplicationID != "" && v.PrivateKeyPath != ""
}

// minVonageKeyBits is the smallest RSA key accepted for signing tokens.
const minVonageKeyBits = 2048

// load checks the shape of each Vonage setting that is present and reads
// the private key, so a wrong path or a pasted value is caught at start-up
// rather than on the first call.
func (v *Vonage) load() error {
	if v.ApplicationID != "" && !isUUID(v.ApplicationID) {
		return errors.New("VONAGE_APPLICATION_ID: must be the application's id, a UUID such as aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
	}
	if v.PrivateKeyPath != "" {
		key, err := readRSAKey(v.PrivateKeyPath)
		if err != nil {
			return fmt.Errorf("VONAGE_PRIVATE_KEY: %w", err)
		}
		v.Key = key
	}
	for _, f := range []struct {
		name  string
		value *string
	}{{"VONAGE_NUMBER", &v.Number}, {"VONAGE_FALLBACK_NUMBER", &v.FallbackNumber}} {
		if *f.value == "" {
			continue
		}
		digits, ok := vonageNumber(*f.value)
		if !ok {
			return fmt.Errorf("%s: must be a phone number in E.164 form, with or without +, e.g. 14155550100", f.name)
		}
		*f.value = digits
	}
	if v.FallbackNumber != "" && v.Number == "" {
		return errors.New("VONAGE_FALLBACK_NUMBER: needs VONAGE_NUMBER, the number calls to phones come from")
	}
	return nil
}

// readRSAKey reads a PEM file holding an unencrypted RSA private key in
// PKCS#8 (what Vonage's dashboard downloads) or PKCS#1 form. Errors never
// quote the file's content.
func readRSAKey(path string) (*rsa.PrivateKey, error) {
	if strings.HasPrefix(path, "-----BEGIN") {
		return nil, errors.New("must be the path of the PEM file, not the key itself")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once, below
		}
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%s is not a PEM file (expected -----BEGIN PRIVATE KEY-----)", path)
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("%s is encrypted; Ringdesk needs the key without a passphrase", path)
	default:
		return nil, fmt.Errorf("%s holds a %q block, not a private key", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s does not hold a readable private key", path)
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s holds a %T key; Vonage needs an RSA key", path, key)
	}
	if bits := rsaKey.N.BitLen(); bits < minVonageKeyBits {
		return nil, fmt.Errorf("%s holds a %d-bit RSA key; at least %d bits are needed", path, bits, minVonageKeyBits)
	}
	return rsaKey, nil
}

// vonageNumber accepts a number in E.164 form with or without the + and
// returns its digits, the form NCCOs use.
func vonageNumber(s string) (string, bool) {
	digits := strings.TrimPrefix(s, "+")
	if len(digits) < 8 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	num, err := phonenumbers.Parse("+"+digits, "")
	if err != nil || phonenumbers.Format(num, phonenumbers.E164) != "+"+digits || !phonenumbers.IsPossibleNumber(num) {
		return "", false
	}
	return digits, true
}

// isUUID accepts the 8-4-4-4-12 hexadecimal form only (uuid.Validate
// alone also takes the braced and urn: forms).
func isUUID(s string) bool { return len(s) == 36 && uuid.Validate(s) == nil }

// Load reads the configuration through getenv. The error names the
// variable and what is wrong with it, in one line.
func Load(getenv func(string) string) (*Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := &Config{
		MongoURI:      get("MONGODB_URI"),
		MongoDatabase: orDefault(get("MONGODB_DATABASE"), "ringdesk"),
		DataDir:       orDefault(get("DATA_DIR"), "./data"),
		AdminEmail:    get("ADMIN_EMAIL"),
		AdminPassword: getenv("ADMIN_PASSWORD"),
		PhoneRegion:   strings.ToUpper(orDefault(get("PHONE_REGION"), "US")),
		Twilio: Twilio{
			AccountSID:  get("TWILIO_ACCOUNT_SID"),
			AuthToken:   get("TWILIO_AUTH_TOKEN"),
			APIKey:      get("TWILIO_API_KEY"),
			APISecret:   get("TWILIO_API_SECRET"),
			TwiMLAppSID: get("TWILIO_TWIML_APP_SID"),
			CallerID:    get("TWILIO_CALLER_ID"),
		},
		Vonage: Vonage{
			ApplicationID:   get("VONAGE_APPLICATION_ID"),
			PrivateKeyPath:  get("VONAGE_PRIVATE_KEY"),
			Number:          get("VONAGE_NUMBER"),
			SignatureSecret: get("VONAGE_SIGNATURE_SECRET"),
			FallbackNumber:  get("VONAGE_FALLBACK_NUMBER"),
		},
	}
	var err error
	if c.Port, err = intVar(get, "PORT", 3000, 1, 65535); err != nil {
		return nil, err
	}
	if c.RateLimitScale, err = intVar(get, "RATE_LIMIT_SCALE", 1, 1, 10000); err != nil {
		return nil, err
	}
	if c.TicketRateLimit, err = intVar(get, "TICKET_RATE_LIMIT", 120, 1, 100000); err != nil {
		return nil, err
	}
	if c.MetricsToken = get("METRICS_TOKEN"); c.MetricsToken != "" && !goodToken(c.MetricsToken) {
		return nil, errors.New("METRICS_TOKEN: must be at least 16 visible ASCII characters without spaces (try: openssl rand -hex 32)")
	}

	pub := orDefault(get("PUBLIC_URL"), fmt.Sprintf("http://localhost:%d", c.Port))
	u, perr := url.Parse(pub)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("PUBLIC_URL: must be an absolute http:// or https:// URL without query, e.g. https://support.example.com")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	c.PublicURL = u

	if c.MongoURI != "" {
		// Not url.Parse: a Unix-socket URI (mongodb://%2Ftmp%2Fmongodb.sock)
		// is valid for the driver but not a URL with a host.
		if !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
			return nil, errors.New("MONGODB_URI: must start with mongodb:// or mongodb+srv://")
		}
	}
	if strings.ContainsAny(c.MongoDatabase, `/\. "$`) || len(c.MongoDatabase) > 63 {
		return nil, errors.New("MONGODB_DATABASE: must be a plain name without / \\ . \" $ or spaces, at most 63 characters")
	}

	if s := getenv("SESSION_SECRET"); s != "" {
		if len(s) < 32 {
			return nil, errors.New("SESSION_SECRET: must be at least 32 characters (try: openssl rand -hex 32)")
		}
		c.SessionSecret = []byte(s)
	} else if u.Scheme == "https" {
		return nil, errors.New("SESSION_SECRET: required when PUBLIC_URL is https, so every instance signs sessions with the same key")
	}

	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return nil, errors.New("ADMIN_EMAIL, ADMIN_PASSWORD: set both or neither")
	}
	if _, ok := phonenumbers.GetSupportedRegions()[c.PhoneRegion]; !ok {
		return nil, fmt.Errorf("PHONE_REGION: %q is not a two-letter region code such as US, GB or DE", c.PhoneRegion)
	}
	if c.DialCountries, err = regionsVar(get, "DIAL_COUNTRIES", c.PhoneRegion); err != nil {
		return nil, err
	}

	if c.TokenTTL, err = durationVar(get, "TOKEN_TTL", time.Hour, 3*time.Minute, 24*time.Hour); err != nil {
		return nil, err
	}
	if c.QueueMaxWait, err = durationVar(get, "QUEUE_MAX_WAIT", 10*time.Minute, time.Minute, time.Hour); err != nil {
		return nil, err
	}
	if err := c.Twilio.validate(); err != nil {
		return nil, err
	}
	if err := c.Vonage.load(); err != nil {
		return nil, err
	}
	if c.VoiceProvider, err = pickProvider(get("VOICE_PROVIDER"), c.Twilio, c.Vonage); err != nil {
		return nil, err
	}
	if c.VoiceProvider == "vonage" && u.Scheme == "https" && c.Vonage.SignatureSecret == "" {
		// On a public address, unsigned webhooks would let anyone forge
		// call events and voicemails.
		return nil, errors.New("VONAGE_SIGNATURE_SECRET: required when PUBLIC_URL is https and Vonage is the voice provider, so that forged webhooks are refused")
	}
	if tp := get("TRUSTED_PROXIES"); tp != "" {
		for _, p := range strings.Split(tp, ",") {
			p = strings.TrimSpace(p)
			if !isIPOrCIDR(p) {
				return nil, fmt.Errorf("TRUSTED_PROXIES: %q is not an IP address or CIDR range (e.g. 10.0.0.5 or 10.0.0.0/8)", p)
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if c.Host = get("HOST"); c.Host != "" && net.ParseIP(c.Host) == nil && c.Host != "localhost" {
		return nil, errors.New("HOST: must be an IP address to listen on, e.g. 127.0.0.1 or ::1 (empty: every interface)")
	}
	if err := c.LogLevel.UnmarshalText([]byte(orDefault(get("LOG_LEVEL"), "info"))); err != nil {
		return nil, errors.New("LOG_LEVEL: must be debug, info, warn or error")
	}
	return c, nil
}

// isIPOrCIDR accepts what gin's SetTrustedProxies does.
func isIPOrCIDR(s string) bool {
	if _, _, err := net.ParseCIDR(s); err == nil {
		return true
	}
	return net.ParseIP(s) != nil
}

// pickProvider applies VOICE_PROVIDER, or picks whichever provider is
// configured (Twilio first). No provider at all is allowed: calling is off.
func pickProvider(choice string, tw Twilio, vo Vonage) (string, error) {
	switch strings.ToLower(choice) {
	case "":
		switch {
		case tw.Configured():
			return "twilio", nil
		case vo.Configured():
			return "vonage", nil
		}
		return "", nil
	case "twilio":
		if !tw.Configured() {
			return "", errors.New("VOICE_PROVIDER: twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_TWIML_APP_SID")
		}
		return "twilio", nil
	case "vonage":
		if !vo.Configured() {
			return "", errors.New("VOICE_PROVIDER: vonage needs VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY")
		}
		return "vonage", nil
	}
	return "", fmt.Errorf("VOICE_PROVIDER: %q is not twilio or vonage", choice)
}

// EnsureSessionSecret fills SessionSecret from DataDir/session.key,
// creating that file on first start, so sessions survive restarts without
// any set-up.
func (c *Config) EnsureSessionSecret() error {
	if len(c.SessionSecret) > 0 {
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("DATA_DIR: cannot create %s: %w", c.DataDir, err)
	}
	path := filepath.Join(c.DataDir, "session.key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		c.SessionSecret = []byte(strings.TrimSpace(string(b)))
		return ownerOnly(path)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	secret := hex.EncodeToString(key)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("DATA_DIR: cannot write %s: %w", path, err)
	}
	c.SessionSecret = []byte(secret)
	return ownerOnly(path) // WriteFile keeps the mode of a file that was there
}

// ownerOnly makes the session key 0600: whoever can read it can sign in
// as any agent.
func ownerOnly(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("DATA_DIR: %w", err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("DATA_DIR: %s is readable by other users and cannot be made private: %w", path, err)
	}
	return nil
}

// Secure reports whether the public URL is https (cookies get Secure).
func (c *Config) Secure() bool { return c.PublicURL.Scheme == "https" }

// LogValue shows the configuration with every secret masked.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host),
		slog.Int("port", c.Port),
		slog.String("publicURL", c.PublicURL.String()),
		slog.String("mongodbURI", mask(c.MongoURI != "", mongo.RedactURI(c.MongoURI))),
		slog.String("database", c.MongoDatabase),
		slog.String("dataDir", c.DataDir),
		slog.String("phoneRegion", c.PhoneRegion),
		slog.String("voiceProvider", orDefault(c.VoiceProvider, "none")),
		slog.Duration("tokenTTL", c.TokenTTL),
		slog.Duration("queueMaxWait", c.QueueMaxWait),
		slog.String("twilioAccountSID", c.Twilio.AccountSID),
		slog.String("twilioAuthToken", mask(c.Twilio.AuthToken != "", "***")),
		slog.String("twilioAPISecret", mask(c.Twilio.APISecret != "", "***")),
		slog.String("vonageApplicationID", c.Vonage.ApplicationID),
		slog.String("vonageSignatureSecret", mask(c.Vonage.SignatureSecret != "", "***")),
		slog.String("sessionSecret", mask(len(c.SessionSecret) > 0, "***")),
		slog.String("metricsToken", mask(c.MetricsToken != "", "***")),
		slog.String("adminPassword", mask(c.AdminPassword != "", "***")),
	)
}

func mask(set bool, shown string) string {
	if !set {
		return ""
	}
	return shown
}

// goodToken accepts a bearer token that fits in an Authorization header
// and is long enough not to be guessed.
func goodToken(s string) bool {
	if len(s) < 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func intVar(get func(string) string, name string, def, lo, hi int) (int, error) {
	v := get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s: %q must be a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// regionsVar reads a comma-separated list of ISO region codes such as
// "US, GB"; empty gives def alone.
func regionsVar(get func(string) string, name, def string) ([]string, error) {
	v := get(name)
	if v == "" {
		return []string{def}, nil
	}
	var out []string
	for _, r := range strings.Split(v, ",") {
		r = strings.ToUpper(strings.TrimSpace(r))
		if _, ok := phonenumbers.GetSupportedRegions()[r]; !ok {
			return nil, fmt.Errorf("%s: %q is not a two-letter region code; list them separated by commas, e.g. US,CA,GB", name, r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func durationVar(get func(string) string, name string, def, lo, hi time.Duration) (time.Duration, error) {
	v := get(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%s: %q must be a duration from %s to %s, e.g. 1h or 30m", name, v, lo, hi)
	}
	return d, nil
}
