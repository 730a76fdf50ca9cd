package boot

import "github.com/vigil-init/vigil/process"

// Exit codes of vigil, the container's exit code (README "Exit codes").
const (
	exitOK            = 0
	exitConfig        = 100                       // invalid configuration or service definition
	exitReadyTimeout  = 101                       // VIGIL_READY_TIMEOUT exceeded under stop
	exitInternal      = 111                       // vigil itself could not go on
	exitNotExecutable = process.ExitNotExecutable // CMD found but could not be executed
	exitNotFound      = process.ExitNotFound      // CMD not found
	exitSignalBase    = 128                       // 128+N: ended by signal N
)
