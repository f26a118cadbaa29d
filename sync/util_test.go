package sync_test

import "github.com/google/uuid"

func newUUID() string { return uuid.Must(uuid.NewV7()).String() }
