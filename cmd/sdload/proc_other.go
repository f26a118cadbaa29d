//go:build !linux

package main

import (
	"context"
	"errors"
	"time"
)

// Watching a process needs Linux's /proc.

type procWatch struct{ pid int }

type procSample struct {
	rss, hwm int64
	cpu      time.Duration
}

func readProc(int) (procSample, error) {
	return procSample{}, errors.New("--watch-pid needs Linux's /proc")
}

func (w *procWatch) run(context.Context, time.Duration) {}

func (w *procWatch) peak() (peak, last int64, err error) { return 0, 0, errors.New("not supported") }

func selfCPU() time.Duration { return 0 }
