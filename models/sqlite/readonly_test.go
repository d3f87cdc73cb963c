package sqlite_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

// childEnv tells a re-run of this test binary to be the unprivileged
// child: "<dir>|<path the error must name>".
const childEnv = "RINGDESK_SQLITE_UNWRITABLE_CHILD"

// nobody is the account the child runs as when the tests run as root,
// who may write anywhere.
const nobody = 65534

// TestUnwritablePlaces: a data directory or database the process may not
// write is a clear error naming the path, not a panic or a hang.
func TestUnwritablePlaces(t *testing.T) {
	if spec := os.Getenv(childEnv); spec != "" {
		dir, want, _ := strings.Cut(spec, "|")
		_, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir})
		if !errors.Is(err, models.ErrUnavailable) || !strings.Contains(err.Error(), want) {
			t.Fatalf("Open(%s) = %v, want ErrUnavailable naming %s", dir, err, want)
		}
		t.Logf("Open(%s): %v", dir, err)
		return
	}
	asRoot := os.Geteuid() == 0
	tests := []struct {
		name string
		// prepare makes the unwritable place under root and returns the
		// data directory and the path the error must name.
		prepare func(t *testing.T, root string) (dir, want string)
	}{
		{"read-only directory", func(t *testing.T, root string) (string, string) {
			dir := filepath.Join(root, "data")
			if err := os.Mkdir(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			return dir, dir
		}},
		{"read-only database", func(t *testing.T, root string) (string, string) {
			dir := filepath.Join(root, "data")
			s, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			s.Close(context.Background())
			db := filepath.Join(dir, "ringdesk.db")
			if asRoot {
				// The child may use the directory and the lock, but
				// the database stays root's, readable only.
				for _, p := range []string{dir, filepath.Join(dir, "ringdesk.lock")} {
					if err := os.Chown(p, nobody, nobody); err != nil {
						t.Fatal(err)
					}
				}
				must(t, os.Chmod(db, 0o644))
			} else {
				must(t, os.Chmod(db, 0o400))
			}
			return dir, db
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir, want := tt.prepare(t, root)
			if !asRoot {
				_, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir})
				if !errors.Is(err, models.ErrUnavailable) || !strings.Contains(err.Error(), want) {
					t.Fatalf("Open(%s) = %v, want ErrUnavailable naming %s", dir, err, want)
				}
				return
			}
			runAsNobody(t, root, dir+"|"+want)
		})
	}
}

// runAsNobody re-runs this test as an unprivileged user, from a copy of
// the test binary that user may execute.
func runAsNobody(t *testing.T, root, spec string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The temporary directories are root's and 0700: open the way down.
	for p := root; p != filepath.Dir(p) && strings.HasPrefix(p, os.TempDir()+"/"); p = filepath.Dir(p) {
		must(t, os.Chmod(p, 0o755))
	}
	bin := filepath.Join(root, "sqlite.test")
	copyFile(t, self, bin)
	cmd := exec.Command(bin, "-test.run=^TestUnwritablePlaces$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as uid %d: %v\n%s", nobody, err, out)
	}
	t.Logf("child:\n%s", out)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	must(t, out.Close())
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
