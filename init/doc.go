// Package boot is vigil's boot mode: the work of PID 1. It lives in the
// folder init/ (the design card's name for this room), but Go refuses to
// import a package named init, so it is package boot; importers write
//
//	boot "github.com/vigil-init/vigil/init"
//
// It owns the signal set, the subreaper, the configuration, the boot
// stages, the CMD, the shutdown sequence and the exit code. Only main and
// boot decide exit codes. It does not call wait4: that is the reaper's.
package boot
