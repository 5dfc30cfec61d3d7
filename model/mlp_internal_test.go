package model

import "testing"

// TestMLPSlicesBounds checks the MLP's slices for every batch up to 20000
// rows: at most mlpRows rows each, never a single row out of several (a
// float matrix would take its one-row kernel), and together every row once.
func TestMLPSlicesBounds(t *testing.T) {
	var s Session
	for rows := 1; rows <= 20000; rows++ {
		slices := s.mlpSlices(rows)
		next := 0
		for i := range slices {
			lo, hi := sliceBounds(i, rows, slices)
			if lo != next || hi-lo > mlpRows || rows > 1 && hi-lo < 2 {
				t.Fatalf("%d rows: slice %d of %d is [%d, %d)", rows, i, slices, lo, hi)
			}
			next = hi
		}
		if next != rows {
			t.Fatalf("%d rows: the slices end at %d", rows, next)
		}
	}
}
