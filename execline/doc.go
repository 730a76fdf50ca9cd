// Package execline is vigil's execline: the lexer of execlineb scripts,
// the check of a command line before boot runs it, and the execline
// programs images written for s6-overlay v3 call, which vigil's one
// binary also is (README "execline in vigil").
//
// s6-overlay's oneshot up and down files are one execline command line
// each, and its run and finish scripts start with #!/command/execlineb or
// call execline programs (foreground, if, exec, cd, fdmove, redirfd,
// importas, …) as chain-loaders, even from bash. vigil answers to those
// names: main dispatches on argv[0] to Main, and the image links
// /command/NAME and /usr/bin/NAME to vigil.
//
// It is a room of its own because two rooms use the lexer and neither
// may import the other: services lexes and checks up/down files when it
// loads the service tree, and the programs here lex scripts when they
// run. It owns execline's rules (lexing, blocks, substitution, exit-code
// conventions) and nothing of vigil's supervision.
//
// It imports only the standard library, x/sys, process (PATH lookup, the
// 126/127 mapping, environments) and reaper (Wait, the only wait4 a
// helper program makes). Only services, client and main import it.
//
// The programs are never PID 1: each runs, possibly waits for one child
// it started, then execs into the rest of its command line. A block's
// child stays in the caller's process group (process.Start would make it
// a group leader, out of reach of the group stop vigil sends a service).
package execline
