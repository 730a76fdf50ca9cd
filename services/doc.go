// Package services owns the services baked into an image: their
// definitions (the s6/runit service directory, parsed and validated), the
// per-service state machine, restart policy and backoff, readiness, and the
// loggers with the pipes vigil holds for them.
//
// It starts processes but never waits for them: exits come from the reaper
// through the boot package's loop, which hands them to the Supervisor. All
// of the Supervisor's state is owned by that one loop.
package services
