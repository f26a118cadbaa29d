// Package crashpoint lets crash tests stop a process at a named point:
// with STREETDESK_CRASH_AT=name in the environment, Hit(name) exits with
// status 137 (as if killed by SIGKILL). Without it, Hit costs one string
// comparison.
package crashpoint

import "os"

// Env is the variable that names the crash point.
const Env = "STREETDESK_CRASH_AT"

var at = os.Getenv(Env)

// Hit exits the process if name is the configured crash point.
func Hit(name string) {
	if at != "" && at == name {
		os.Exit(137)
	}
}
