package boot

import (
	"fmt"
	"io"
	"log/slog"
	"os"
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
	if subreaperErr != nil {
		log.Debug("not a subreaper: orphans go to the real init", "err", subreaperErr)
	}

	tree, err := services.LoadTree(cfg.dirs(), cfg.serviceDefaults(), log)
	if err != nil {
		log.Error("invalid service definition", "err", err)
		return exitConfig
	}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		log.Error("open /dev/null", "err", err)
		return exitInternal
	}
	// Children learn where the run dir is (init scripts write env/ there)
	// even when VIGIL_RUN_DIR was left to its default.
	env := process.ApplyEnv(os.Environ(), []process.EnvEntry{{Name: "VIGIL_RUN_DIR", Value: string(cfg.RunDir)}})
	var output *services.Output
	if cfg.LogPrefix {
		if output, err = services.NewOutput(); err != nil {
			log.Error("prepare output", "err", err)
			return exitInternal
		}
	}
	v := &vigil{
		cfg: cfg, log: log, sigs: sigs, pid1: pid1, devNull: devNull, output: output,
		reaper:   reaper.Start(),
		baseEnv:  env,
		cmdArgs:  cmd,
		leftGone: make(chan struct{}, 1),
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
