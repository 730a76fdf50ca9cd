// Package client is vigil's client mode: the `vigil` command that people
// run with `docker exec` (status, start, stop, restart, signal, wait, halt,
// check, reload) and the helpers run scripts use (with-contenv, setuser,
// log). It is a room of its own because it is a program of its own: it
// talks to the running vigil only through the control socket and shares
// no state with boot mode.
//
// Exit codes: 0 success, 1 the operation failed, 2 usage, 3 no vigil
// reachable. with-contenv and setuser exec their command, or exit 126/127
// when it cannot be executed or found, as a shell would.
package client
