//go:build unix

// Package cputime reads the CPU time the process has used, so that
// benchmarks can report it beside the wall time, which on a shared machine
// also counts the waits for a core.
package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU time of every thread of the process so far (user and
// system: the GC's and the platform's in the same process too).
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
