package sync_test

const crashChildEnv = "STREETDESK_CRASH_CHILD"
