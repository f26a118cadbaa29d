//go:build unix

package streetdesk_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used (every thread: the GC's
// too), so a benchmark can report it beside the wall time, which on a
// shared machine also counts the waits for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
