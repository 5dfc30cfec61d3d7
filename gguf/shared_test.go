package gguf

import (
	"bytes"
	"fmt"
)

// diffFiles describes the first difference between two parsed files, or
// returns nil. Tensor offsets are compared only if withOffsets is set: the
// writer lays data out afresh, so they match only for files laid out the
// way it does.
func diffFiles(a, b *File, withOffsets bool) error {
	if a.Version != b.Version || a.Alignment != b.Alignment || a.DataOffset != b.DataOffset {
		return fmt.Errorf("header: version/alignment/data offset %d/%d/%d vs %d/%d/%d",
			a.Version, a.Alignment, a.DataOffset, b.Version, b.Alignment, b.DataOffset)
	}
	if len(a.Metadata) != len(b.Metadata) {
		return fmt.Errorf("%d metadata entries vs %d", len(a.Metadata), len(b.Metadata))
	}
	for i, kv := range a.Metadata {
		if kv.Key != b.Metadata[i].Key || !kv.Value.Equal(b.Metadata[i].Value) {
			return fmt.Errorf("metadata %d: %q = %v vs %q = %v", i, kv.Key, kv.Value, b.Metadata[i].Key, b.Metadata[i].Value)
		}
	}
	if len(a.Tensors) != len(b.Tensors) {
		return fmt.Errorf("%d tensors vs %d", len(a.Tensors), len(b.Tensors))
	}
	for i := range a.Tensors {
		ta, tb := &a.Tensors[i], &b.Tensors[i]
		if ta.Name != tb.Name || ta.Type != tb.Type || fmt.Sprint(ta.Shape) != fmt.Sprint(tb.Shape) ||
			(withOffsets && ta.Offset != tb.Offset) {
			return fmt.Errorf("tensor %d: %+v vs %+v", i, *ta, *tb)
		}
		if !bytes.Equal(a.TensorData(ta), b.TensorData(tb)) {
			return fmt.Errorf("tensor %q: data differs", ta.Name)
		}
	}
	return nil
}
