package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/config"
)

// TestWithDotEnvInlineComments reads values the way docker compose reads
// the same .env file: an unquoted " #" starts a comment, quotes keep it.
func TestWithDotEnvInlineComments(t *testing.T) {
	path := writeDotEnv(t, `PORT=3100 # the port
PUBLIC_URL=https://support.example.com	# tab before the comment
SESSION_SECRET="a value # with a hash inside"
ADMIN_NAME='single # quoted'  # and a comment
ANCHOR=http://x/#frag
EMPTY= # nothing
`)
	getenv, err := config.WithDotEnv(func(string) string { return "" }, path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range []string{"PORT", "PUBLIC_URL", "SESSION_SECRET", "ADMIN_NAME", "ANCHOR", "EMPTY"} {
		got[k] = getenv(k)
	}
	want := map[string]string{
		"PORT": "3100", "PUBLIC_URL": "https://support.example.com", "SESSION_SECRET": "a value # with a hash inside",
		"ADMIN_NAME": "single # quoted", "ANCHOR": "http://x/#frag", "EMPTY": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf(".env values (-want +got):\n%s", diff)
	}
}

func TestLoadHostAndTrustedProxies(t *testing.T) {
	c := load(t, env{"HOST": "127.0.0.1", "TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/16, ::1"})
	if c.Host != "127.0.0.1" {
		t.Errorf("Host = %q", c.Host)
	}
	if diff := cmp.Diff([]string{"10.0.0.5", "192.168.0.0/16", "::1"}, c.TrustedProxies); diff != "" {
		t.Errorf("TrustedProxies (-want +got):\n%s", diff)
	}
	if c := load(t, env{}); c.Host != "" {
		t.Errorf("default Host = %q, want every interface", c.Host)
	}
}
