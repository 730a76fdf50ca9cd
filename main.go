// GOMAXPROCS is set once, at start (from the CPU affinity and the cgroup's
// CPU limit): the runtime's updater, which would re-read the cgroup every
// second of activity and keeps a goroutine for it, is off. An init's
// parallelism need not follow a change of the container's CPU limit.
//
//go:debug updatemaxprocs=0

// Command vigil is a container init (PID 1) with supervision. Installed as
// /init it boots the container; called as vigil it is the client of the
// vigil that runs.
package main

import (
	"os"
	"path/filepath"

	"github.com/vigil-init/vigil/client"
	"github.com/vigil-init/vigil/execline"
	boot "github.com/vigil-init/vigil/init"
	"github.com/vigil-init/vigil/process"
)

func main() {
	os.Exit(run(os.Args))
}

// modes are the programs the binary is, by the base name of argv[0]
// (README "Invocation"). Each gets the whole argv: execline's programs
// need argv[0] as called ($0 of `execlineb -c`). Any other name (init,
// docker-init, …) is boot mode.
var modes = map[string]func(argv []string) int{
	"vigil":                func(argv []string) int { return vigil(argv[1:]) },
	process.RunAsName:      func(argv []string) int { return process.RunAs(argv[1:]) }, // internal: how vigil starts a process as another user
	client.NotifyCheckName: helper(client.NotifyCheckName),                             // internal: s6-notifyoncheck's checker
}

// The helper names of s6-overlay and the execline programs the binary
// answers to (README "s6-overlay v3 images", "execline in vigil").
func init() {
	for _, name := range client.HelperNames {
		modes[name] = helper(name)
	}
	for _, name := range execline.Builtins {
		modes[name] = func(argv []string) int { return execline.Main(argv[0], argv[1:]) }
	}
}

// helper is the mode of the s6 helper name.
func helper(name string) func(argv []string) int {
	h := client.Helper(name)
	return func(argv []string) int { return h(argv[1:]) }
}

// run picks the mode from argv[0] and returns the exit code.
func run(args []string) int {
	if len(args) == 0 {
		return boot.Main(nil)
	}
	if mode := modes[filepath.Base(args[0])]; mode != nil {
		return mode(args)
	}
	return boot.Main(args[1:])
}

// vigil is the client, or boot mode as `vigil boot [--] [CMD…]`.
func vigil(args []string) int {
	if len(args) > 0 && args[0] == "boot" {
		return boot.Main(args[1:])
	}
	return client.Main(args)
}
