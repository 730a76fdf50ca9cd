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
//
// It is also s6-overlay's helper programs (s6.go and the s6*.go files):
// with-contenv, printcontenv, s6-setuidgid, s6-envuidgid, s6-applyuidgid,
// s6-notifyoncheck, s6-svc, s6-svstat, s6-svwait, s6-svok, s6-svscanctl,
// s6-rc and halt, which main runs by the base name of argv[0] (Helper,
// HelperNames). They keep s6's command lines, exit codes and message forms
// and do their work through the same control requests as the vigil
// command.
package client
