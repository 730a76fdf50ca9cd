// Package process holds the primitives every room of vigil uses to start
// and address processes: one way to start a process (new process group,
// working directory, environment, descriptors, credentials, foreground
// terminal) with the one mapping of a failed start to 126/127; exec for
// the client's helpers; the environment and envdirs; PATH lookup; passwd
// and group lookup; signal names and numbers; signalling a process group.
//
// It exists because boot (the CMD, init and finish scripts), services
// (run, finish, check) and client (with-contenv, setuser) all start
// processes, and each had grown its own copy of these steps.
//
// It is a leaf: it imports only the standard library and x/sys, never
// another package of vigil. It never waits for a process (that is the
// reaper's) and keeps no state.
package process
