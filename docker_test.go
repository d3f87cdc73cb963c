package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerFiles checks the promises README's Docker section makes of the
// Dockerfile and docker-compose.yml, which no test here can run: the image
// checks its own health, the port is published on loopback only, and
// compose needs PUBLIC_URL for every command but SESSION_SECRET for none.
func TestDockerFiles(t *testing.T) {
	dockerfile := readFile(t, "Dockerfile")
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*\\\n\s*CMD \["/ringdesk", "healthcheck"\]$`).MatchString(dockerfile) {
		t.Error(`Dockerfile: want HEALTHCHECK ... CMD ["/ringdesk", "healthcheck"]`)
	}

	compose := readFile(t, "docker-compose.yml")
	ports := regexp.MustCompile(`(?m)^\s+- "([^"]*):3000"$`).FindAllStringSubmatch(compose, -1)
	if len(ports) != 1 || !strings.HasPrefix(ports[0][1], "127.0.0.1:") {
		t.Errorf("docker-compose.yml: want the one published port on 127.0.0.1, found %q", ports)
	}
	if !strings.Contains(compose, "PUBLIC_URL: ${PUBLIC_URL:?") {
		t.Error("docker-compose.yml: PUBLIC_URL must be required (${PUBLIC_URL:?...}), never fall back to localhost")
	}
	if regexp.MustCompile(`SESSION_SECRET:?\?`).MatchString(compose) {
		t.Error("docker-compose.yml: SESSION_SECRET must not be required by compose: logs, ps and down would need it")
	}
	if !strings.Contains(compose, "DATA_DIR: /data") {
		t.Error("docker-compose.yml: DATA_DIR must stay on the volume whatever .env says")
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
