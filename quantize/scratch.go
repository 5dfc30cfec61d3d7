package quantize

// scratch is memory for the converted tensors until the output is written.
type scratch struct {
	buf   []byte
	unmap func() error // nil when the garbage collector releases buf
}

func (s *scratch) release() error {
	if s.unmap == nil {
		return nil
	}
	return s.unmap()
}
