package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/legacy"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

const usage = `usage: ringdesk [serve]                      run the server
       ringdesk agent add --email EMAIL --name NAME   add an agent (password on stdin)
       ringdesk agent list                   list agents
       ringdesk agent disable EMAIL          stop an agent signing in (their sessions end)
       ringdesk agent enable EMAIL           let a disabled agent sign in again
       ringdesk agent reset-password EMAIL   set a new password (on stdin)
       ringdesk export [FILE]                write every agent, ticket and call as JSON Lines (default: stdout)
       ringdesk import [FILE]                load an export into the configured store (default: stdin); safe to repeat
       ringdesk import --legacy DIR          load the previous embedded store's files from DIR
       ringdesk backup FILE                  snapshot the embedded store while Ringdesk runs
       ringdesk healthcheck                  exit 0 when the server on this machine is ready (for Docker)
       ringdesk help                         this text

Every command acts on the store the configuration names: MONGODB_URI when
set, else the embedded store in DATA_DIR (default ./data), and says which.
`

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help" || arg == "-help"
}

// cli runs the commands other than serve.
type cli struct {
	cfg    *config.Config
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func (c *cli) run(ctx context.Context, args []string) error {
	cmd := args[0]
	if cmd == "agent" && len(args) >= 2 {
		cmd, args = "agent "+args[1], args[1:]
	}
	switch cmd {
	case "agent add":
		return c.agentAdd(ctx, args[1:])
	case "agent list":
		return c.agentList(ctx, args[1:])
	case "agent disable", "agent enable":
		return c.agentSetDisabled(ctx, args[1:], cmd == "agent disable")
	case "agent reset-password":
		return c.agentResetPassword(ctx, args[1:])
	case "export":
		return c.export(ctx, args[1:])
	case "import":
		return c.importData(ctx, args[1:])
	case "backup":
		return c.backup(ctx, args[1:])
	case "healthcheck":
		if _, err := c.flags("healthcheck", "", args[1:], 0, 0, nil); err != nil {
			return helpIsFine(err)
		}
		return healthcheck(ctx, c.cfg, c.stdout)
	}
	return fmt.Errorf("unknown command %q (try: ringdesk help)", strings.Join(args, " "))
}

// errHelp ends a command whose --help was printed: not a failure.
var errHelp = errors.New("help shown")

// flags parses a command's flags; the command takes between minArgs and maxArgs
// positional arguments, which come back in rest.
func (c *cli) flags(name, synopsis string, args []string, minArgs, maxArgs int, define func(*flag.FlagSet)) (rest []string, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stdout)
	fs.Usage = func() {
		fmt.Fprintf(c.stdout, "usage: ringdesk %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	if define != nil {
		define(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if fs.NArg() < minArgs || fs.NArg() > maxArgs {
		return nil, fmt.Errorf("%s: usage: ringdesk %s %s", name, name, synopsis)
	}
	return fs.Args(), nil
}

// open opens the configured store beside a server that may be running,
// and says on stderr which store it is, so nobody writes to a database
// other than the one they meant.
func (c *cli) open(ctx context.Context) (*models.Store, error) {
	s, err := openStore(ctx, c.cfg, nil, true)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(c.stderr, "Using", s.Where())
	return s, nil
}

// withStore opens the store, runs fn, and closes it.
func (c *cli) withStore(ctx context.Context, fn func(context.Context, *models.Store) error) error {
	openCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := c.open(openCtx)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	}()
	return fn(ctx, s)
}

// agentAdd implements "ringdesk agent add --email E --name N", reading the
// password from stdin (without echo on a terminal).
func (c *cli) agentAdd(ctx context.Context, args []string) error {
	var email, name string
	_, err := c.flags("agent add", "--email EMAIL --name NAME   (password on stdin)", args, 0, 0, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "agent's email (used to sign in)")
		fs.StringVar(&name, "name", "", "agent's name as shown on the dashboard")
	})
	if err != nil {
		return helpIsFine(err)
	}
	if email == "" || name == "" {
		return errors.New("agent add: --email and --name are required")
	}
	password, err := readPassword(c.stdin, c.stdout)
	if err != nil {
		return err
	}
	return c.withStore(ctx, func(ctx context.Context, s *models.Store) error {
		a, err := s.Agents.Create(ctx, models.AgentInput{Email: email, Name: name, Password: password})
		var verr *models.ValidationError
		switch {
		case errors.As(err, &verr):
			return errors.New("agent add: " + strings.Join(fieldMessages(verr), " "))
		case errors.Is(err, models.ErrConflict):
			return fmt.Errorf("agent add: an agent with email %s already exists", email)
		case err != nil:
			return err
		}
		fmt.Fprintf(c.stdout, "Agent %s <%s> added. They can sign in at %s/login\n", a.Name, a.Email, c.cfg.PublicURL)
		return nil
	})
}

// agentList implements "ringdesk agent list".
func (c *cli) agentList(ctx context.Context, args []string) error {
	if _, err := c.flags("agent list", "", args, 0, 0, nil); err != nil {
		return helpIsFine(err)
	}
	return c.withStore(ctx, func(ctx context.Context, s *models.Store) error {
		agents, err := s.Agents.List(ctx)
		if err != nil {
			return err
		}
		if len(agents) == 0 {
			fmt.Fprintln(c.stdout, "No agents yet.")
			return nil
		}
		w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "EMAIL\tNAME\tSTATUS\tADDED")
		for _, a := range agents {
			status := "active"
			if a.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.Email, a.Name, status, a.CreatedAt.Format("2006-01-02"))
		}
		return w.Flush()
	})
}

// agentSetDisabled implements "ringdesk agent disable|enable EMAIL".
func (c *cli) agentSetDisabled(ctx context.Context, args []string, disabled bool) error {
	name := map[bool]string{true: "agent disable", false: "agent enable"}[disabled]
	rest, err := c.flags(name, "EMAIL", args, 1, 1, nil)
	if err != nil {
		return helpIsFine(err)
	}
	return c.withStore(ctx, func(ctx context.Context, s *models.Store) error {
		a, err := c.agentByEmail(ctx, s, name, rest[0])
		if err != nil {
			return err
		}
		if err := s.Agents.SetDisabled(ctx, a.ID, disabled); err != nil {
			return err
		}
		if disabled {
			fmt.Fprintf(c.stdout, "Agent %s disabled: they cannot sign in, and their open sessions end.\n", a.Email)
		} else {
			fmt.Fprintf(c.stdout, "Agent %s enabled: they can sign in again.\n", a.Email)
		}
		return nil
	})
}

// agentResetPassword implements "ringdesk agent reset-password EMAIL",
// reading the new password from stdin.
func (c *cli) agentResetPassword(ctx context.Context, args []string) error {
	rest, err := c.flags("agent reset-password", "EMAIL   (new password on stdin)", args, 1, 1, nil)
	if err != nil {
		return helpIsFine(err)
	}
	password, err := readPassword(c.stdin, c.stdout)
	if err != nil {
		return err
	}
	return c.withStore(ctx, func(ctx context.Context, s *models.Store) error {
		a, err := c.agentByEmail(ctx, s, "agent reset-password", rest[0])
		if err != nil {
			return err
		}
		// The same rules as a new agent's password.
		if _, _, err := (models.AgentInput{Email: a.Email, Name: a.Name, Password: password}).Validate(); err != nil {
			var verr *models.ValidationError
			if errors.As(err, &verr) {
				return errors.New("agent reset-password: " + strings.Join(fieldMessages(verr), " "))
			}
			return err
		}
		hash, err := models.HashPassword(password)
		if err != nil {
			return err
		}
		if err := s.Agents.SetPasswordHash(ctx, a.ID, hash); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Password of %s changed.\n", a.Email)
		return nil
	})
}

func (c *cli) agentByEmail(ctx context.Context, s *models.Store, cmd, email string) (*models.Agent, error) {
	a, err := s.Agents.GetByEmail(ctx, models.NormalizeEmail(email))
	if errors.Is(err, models.ErrNotFound) {
		return nil, fmt.Errorf("%s: no agent has the email %s (see: ringdesk agent list)", cmd, email)
	}
	return a, err
}

// export implements "ringdesk export [FILE]".
func (c *cli) export(ctx context.Context, args []string) error {
	rest, err := c.flags("export", "[FILE]", args, 0, 1, nil)
	if err != nil {
		return helpIsFine(err)
	}
	return c.withStore(ctx, func(ctx context.Context, s *models.Store) error {
		var w io.Writer = c.stdout
		var f *os.File
		if len(rest) == 1 && rest[0] != "-" {
			// O_EXCL: an export never overwrites an earlier one.
			f, err = os.OpenFile(rest[0], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			w = f
		}
		stats, err := models.Export(ctx, s, w, time.Now())
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		fmt.Fprintf(c.stderr, "Exported %d agents, %d tickets, %d calls, %d counters.\n", stats.Agents, stats.Tickets, stats.Calls, stats.Counters)
		return nil
	})
}

// importData implements "ringdesk import [FILE]" and "ringdesk import
// --legacy DIR".
func (c *cli) importData(ctx context.Context, args []string) error {
	var legacyDir string
	rest, err := c.flags("import", "[FILE] | --legacy DIR", args, 0, 1, func(fs *flag.FlagSet) {
		fs.StringVar(&legacyDir, "legacy", "", "a DATA_DIR of the previous embedded store (FerretDB's *.sqlite files) to read")
	})
	if err != nil {
		return helpIsFine(err)
	}
	var read func(context.Context, *models.Store) (models.TransferStats, error)
	switch {
	case legacyDir != "":
		if held, _ := sqlite.InUse(legacyDir); held {
			return fmt.Errorf("import: a Ringdesk is still running on %s; stop it first, so the files are read whole", legacyDir)
		}
		files, err := legacy.Files(legacyDir)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if len(files) == 0 {
			return fmt.Errorf("import: %s holds no files of the previous embedded store (*.sqlite)", legacyDir)
		}
		read = func(ctx context.Context, s *models.Store) (models.TransferStats, error) {
			return models.ImportItems(ctx, s, func(restore func(models.Item) error) error {
				for _, file := range files {
					if err := legacy.Read(ctx, file, restore); err != nil {
						return fmt.Errorf("%s: %w", file, err)
					}
				}
				return nil
			})
		}
	default:
		var r io.Reader = c.stdin
		if len(rest) == 1 && rest[0] != "-" {
			f, err := os.Open(rest[0])
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			defer f.Close()
			r = f
		}
		read = func(ctx context.Context, s *models.Store) (models.TransferStats, error) {
			return models.Import(ctx, s, r)
		}
	}
	return c.withStore(ctx, func(ctx context.Context, s *models.Store) error {
		stats, err := read(ctx, s)
		fmt.Fprintf(c.stderr, "Read %d agents, %d tickets, %d calls, %d counters; %d new, %d already there.\n",
			stats.Agents, stats.Tickets, stats.Calls, stats.Counters, stats.Inserted, stats.Total()-stats.Inserted)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		return nil
	})
}

// backup implements "ringdesk backup FILE".
func (c *cli) backup(ctx context.Context, args []string) error {
	rest, err := c.flags("backup", "FILE", args, 1, 1, nil)
	if err != nil {
		return helpIsFine(err)
	}
	if c.cfg.MongoURI != "" {
		return errors.New("backup: MONGODB_URI is set; back up MongoDB with its own tools (mongodump, or Atlas backups), or use ringdesk export")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	if err := sqlite.Backup(ctx, c.cfg.DataDir, rest[0]); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(c.stdout, "Backed up the embedded store in %s to %s.\n", c.cfg.DataDir, rest[0])
	return nil
}

func helpIsFine(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "Password (at least 10 characters): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func fieldMessages(v *models.ValidationError) []string {
	msgs := make([]string, 0, len(v.Fields))
	for _, m := range v.Fields {
		msgs = append(msgs, m)
	}
	return msgs
}
