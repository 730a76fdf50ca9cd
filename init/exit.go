package boot

// Exit codes of vigil, the container's exit code (SPEC §6).
const (
	exitOK            = 0
	exitConfig        = 100 // invalid configuration or service definition
	exitReadyTimeout  = 101 // VIGIL_READY_TIMEOUT exceeded under stop
	exitInternal      = 111 // vigil itself could not go on
	exitNotExecutable = 126 // CMD found but could not be executed
	exitNotFound      = 127 // CMD not found
	exitSignalBase    = 128 // 128+N: ended by signal N
)
