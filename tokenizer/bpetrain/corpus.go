package bpetrain

import (
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"zhi/tokenizer/pretokenize"
)

// Corpus counts the words of the training text: the chunks the
// pre-tokenizer splits it into, which merges never cross. The zero Corpus
// is empty and ready to use.
type Corpus struct {
	splitter pretokenize.Splitter
	words    map[string]int64
	bytes    int64
}

// Add adds text to the corpus. It must be valid UTF-8; name says where the
// text came from in the error otherwise.
func (c *Corpus) Add(name string, text []byte) error {
	if off := invalidUTF8(text); off >= 0 {
		return fmt.Errorf("bpetrain: %s: invalid UTF-8 at byte offset %d", name, off)
	}
	if c.splitter == nil {
		s, err := pretokenize.New(Pre)
		if err != nil {
			return fmt.Errorf("bpetrain: %w", err)
		}
		c.splitter = s
		c.words = make(map[string]int64)
	}
	for _, chunk := range c.splitter.Split(string(text)) {
		if _, seen := c.words[chunk]; !seen {
			// A key of its own lets the text be collected.
			chunk = strings.Clone(chunk)
		}
		c.words[chunk]++
	}
	c.bytes += int64(len(text))
	return nil
}

// AddFile adds the text of a file.
func (c *Corpus) AddFile(path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("bpetrain: %w", err)
	}
	return c.Add(path, text)
}

// Bytes returns the number of bytes of text added.
func (c *Corpus) Bytes() int64 { return c.bytes }

// invalidUTF8 returns the offset of the first byte of text that does not
// start a valid UTF-8 sequence, or -1 if there is none.
func invalidUTF8(text []byte) int {
	for off := 0; off < len(text); {
		if text[off] < utf8.RuneSelf {
			off++
			continue
		}
		r, n := utf8.DecodeRune(text[off:])
		if r == utf8.RuneError && n == 1 {
			return off
		}
		off += n
	}
	return -1
}
