package services

import (
	"testing"
	"time"
)

func TestRestartDelay(t *testing.T) {
	tests := []struct {
		uptime    time.Duration
		fast      int
		wantDelay time.Duration
		wantFast  int
	}{
		{10 * time.Second, 5, 0, 0},
		{time.Hour, 0, 0, 0},
		{0, 0, 200 * time.Millisecond, 1},
		{time.Second, 1, 400 * time.Millisecond, 2},
		{time.Second, 4, 3200 * time.Millisecond, 5},
		{time.Second, 7, 25600 * time.Millisecond, 8},
		{time.Second, 8, 30 * time.Second, 9},
		{time.Second, 1000, 30 * time.Second, 1001},
	}
	for _, tt := range tests {
		delay, fast := restartDelay(tt.uptime, tt.fast)
		if delay != tt.wantDelay || fast != tt.wantFast {
			t.Errorf("restartDelay(%v, %d) = %v, %d; want %v, %d", tt.uptime, tt.fast, delay, fast, tt.wantDelay, tt.wantFast)
		}
	}
}
