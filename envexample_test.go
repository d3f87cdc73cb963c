package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/config"
)

// TestEnvExampleChangesNothing copies .env.example to .env, as its first
// line says, and checks that the settings are then exactly the defaults:
// the template must not pin PUBLIC_URL to one port while PORT changes,
// blank the session secret, or move DATA_DIR off the Docker image's /data.
func TestEnvExampleChangesNothing(t *testing.T) {
	for _, env := range []map[string]string{
		{},
		{"PORT": "4000"},
		{"DATA_DIR": "/data", "MONGODB_URI": "mongodb://mongo:27017/?replicaSet=rs0"},
		{"PUBLIC_URL": "https://support.example.com", "SESSION_SECRET": strings.Repeat("s", 32)},
	} {
		getenv := func(k string) string { return env[k] }
		want, err := config.Load(getenv)
		if err != nil {
			t.Fatalf("%v: %v", env, err)
		}
		withFile, err := config.WithDotEnv(getenv, ".env.example")
		if err != nil {
			t.Fatal(err)
		}
		got, err := config.Load(withFile)
		if err != nil {
			t.Fatalf("%v with .env.example: %v", env, err)
		}
		// No key is read without VONAGE_PRIVATE_KEY; rsa's Equal would
		// dereference the nil.
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(config.Vonage{}, "Key")); diff != "" {
			t.Errorf("%v: .env.example changed the settings (-without +with):\n%s", env, diff)
		}
	}
}

// TestEnvExampleNamesRealSettings checks that every variable .env.example
// shows (commented out) is one Ringdesk reads, so uncommenting a line
// never sets something that is silently ignored.
func TestEnvExampleNamesRealSettings(t *testing.T) {
	read := map[string]bool{}
	if _, err := config.Load(func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	setting := regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=`)
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		m := setting.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		if !read[m[1]] {
			t.Errorf(".env.example shows %s, which Ringdesk does not read", m[1])
		}
	}
	if n == 0 {
		t.Fatal(".env.example shows no settings")
	}
}
