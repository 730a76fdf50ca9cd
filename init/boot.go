package boot

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
	"github.com/vigil-init/vigil/services"
	"golang.org/x/sys/unix"
)

// Version is vigil's version, set at build time with -X.
var Version = "dev"

// Main runs boot mode with args, the words after argv[0], and returns
// vigil's exit code. It reads like the boot sequence of README "Boot".
func Main(args []string) int {
	sigs := notifySignals() // first: until then SIGTERM kills a Go program
	pid1 := os.Getpid() == 1
	subreaperErr := becomeSubreaper(pid1)

	cmd, code, done := parseArgs(args, os.Stdout, os.Stderr)
	if done {
		return code
	}
	level := new(slog.LevelVar)
	log := newLogger(level)
	cfg, err := loadConfig()
	if err != nil {
		logConfigError(log, err)
		return exitConfig
	}
	level.Set(slog.Level(cfg.LogLevel))
	logS6Ignored(log, cfg.s6Ignored)
	if subreaperErr != nil {
		log.Debug("not a subreaper: orphans go to the real init", "err", subreaperErr)
	}

	devNull, err := os.Open(os.DevNull)
	if err != nil {
		log.Error("open /dev/null", "err", err)
		return exitInternal
	}
	env := childEnv(cfg)
	var output *services.Output
	if cfg.LogPrefix {
		if output, err = services.NewOutput(); err != nil {
			log.Error("prepare output", "err", err)
			return exitInternal
		}
	}
	if len(cmd) > 0 {
		cmd = append(slices.Clone(cfg.cmdArg0), cmd...)
	}
	v := &vigil{
		cfg: cfg, log: log, sigs: sigs, pid1: pid1, devNull: devNull, output: output,
		reaper:   reaper.Start(),
		baseEnv:  env,
		cmdArgs:  cmd,
		leftGone: make(chan struct{}, 1),
	}
	if code, ok := v.runHook(); !ok {
		return code
	}
	tree, err := services.LoadTree(cfg.dirs(), cfg.serviceDefaults(), log)
	if err != nil {
		log.Error("invalid service definition", "err", err)
		return exitConfig
	}
	v.sup, err = services.New(tree, env, services.Options{
		Log: log, DevNull: devNull, Output: output,
		OneshotFailure: cfg.InitFailure == InitStop,
		EnvChanged:     func() []string { v.reloadEnv(); return v.env },
		KillGrace:      cfg.ServicesGracetime.D(),
	})
	if err != nil {
		log.Error("prepare services", "err", err)
		return exitInternal
	}
	return v.run()
}

// childEnv is the environment children start with: the container's, with
// VIGIL_RUN_DIR and VIGIL_S6_RUN_DIR (so that init scripts and the helpers
// find the run dir even when left to its default), and /command at the
// end of PATH when it exists, as s6-overlay's /init puts it there (README
// "s6-overlay v3 images").
func childEnv(cfg Config) []string {
	set := []process.EnvEntry{
		{Name: "VIGIL_RUN_DIR", Value: string(cfg.RunDir)},
		{Name: "VIGIL_S6_RUN_DIR", Value: string(cfg.S6RunDir)},
	}
	path, hasPath := os.LookupEnv("PATH")
	if fi, err := os.Stat(s6Command); err == nil && fi.IsDir() && !slices.Contains(filepath.SplitList(path), s6Command) {
		if !hasPath {
			path = process.DefaultPath
		}
		set = append(set, process.EnvEntry{Name: "PATH", Value: path + ":" + s6Command})
	}
	return process.ApplyEnv(os.Environ(), set)
}

// s6Command is where s6-overlay keeps its programs.
const s6Command = "/command"

// becomeSubreaper makes vigil the parent of its orphaned descendants when
// it is not PID 1 (behind docker --init, shareProcessNamespace, a shell),
// so that it can reap them and stop them at shutdown. Quietly: being
// second is normal.
func becomeSubreaper(pid1 bool) error {
	if pid1 {
		return nil
	}
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

const usage = `usage: init [--help] [--version] [--] [CMD [ARG...]]
       vigil boot [--] [CMD [ARG...]]

vigil runs as PID 1 in a container: it reaps zombies, forwards signals to
CMD, and on SIGTERM, SIGINT or SIGQUIT (or when CMD exits) stops CMD, then
every process left, and exits with CMD's exit code.

Flags are read only before CMD; the first argument that does not begin
with "-" starts CMD, and "--" ends the flags. Configuration comes from
VIGIL_* environment variables (see the README).
`

// parseArgs reads the flags before CMD. done is true when there is nothing
// more to do than exit with code (--help, --version, a bad flag).
func parseArgs(args []string, stdout, stderr io.Writer) (cmd []string, code int, done bool) {
	for i, arg := range args {
		switch {
		case arg == "--":
			return args[i+1:], 0, false
		case arg == "--help" || arg == "-h":
			fmt.Fprint(stdout, usage)
			return nil, exitOK, true
		case arg == "--version":
			fmt.Fprintln(stdout, "vigil", Version)
			return nil, exitOK, true
		case strings.HasPrefix(arg, "-"):
			fmt.Fprintf(stderr, "vigil: unknown flag %q (boot mode takes --help, --version, --)\n", arg)
			return nil, exitConfig, true
		default:
			return args[i:], 0, false
		}
	}
	return nil, 0, false
}

// logConfigError says in one line what is wrong with the configuration.
func logConfigError(log *slog.Logger, err error) {
	if ce, ok := err.(*ConfigError); ok {
		log.Error("invalid configuration", "variable", ce.Variable, "value", ce.Value, "want", ce.Want)
		return
	}
	log.Error("invalid configuration", "err", err)
}
