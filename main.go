// Command vigil is a container init (PID 1) with supervision. Installed as
// /init it boots the container; called as vigil it is the client of the
// vigil that runs.
package main

import (
	"os"
	"path/filepath"

	"github.com/vigil-init/vigil/client"
	boot "github.com/vigil-init/vigil/init"
)

func main() {
	os.Exit(run(os.Args))
}

// run picks the mode from argv[0] (SPEC §1) and returns the exit code.
func run(args []string) int {
	if len(args) == 0 || filepath.Base(args[0]) != "vigil" {
		return boot.Main(args[min(1, len(args)):])
	}
	if len(args) > 1 && args[1] == "boot" {
		return boot.Main(args[2:])
	}
	return client.Main(args[1:])
}
