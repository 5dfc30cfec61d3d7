package train

import (
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"unicode/utf8"

	"zhi/tokenizer"
)

// Text is a stretch of training text: a whole file, or the part of one on
// one side of the split between training and validation.
type Text struct {
	Name   string // the file it comes from, for messages
	Data   []byte // valid UTF-8
	Offset int64  // where Data starts in the file
}

// ReadTexts reads text files for training. Each must be non-empty, valid
// UTF-8; errors name the file and, for bad UTF-8, the byte offset.
func ReadTexts(paths []string) ([]Text, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("train: no data files")
	}
	texts := make([]Text, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if err := checkText(p, data); err != nil {
			return nil, err
		}
		texts = append(texts, Text{Name: p, Data: data})
	}
	return texts, nil
}

// checkText reports an empty text or one that is not UTF-8.
func checkText(name string, data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("train: %s is empty", name)
	}
	if !utf8.Valid(data) {
		return fmt.Errorf("train: %s: invalid UTF-8 at byte offset %d", name, invalidAt(data))
	}
	return nil
}

// textsChecksum identifies the texts, so that a resumed run can tell that
// it trains on the data it started with.
func textsChecksum(texts []Text) uint32 {
	h := crc32.New(castagnoli)
	for _, t := range texts {
		h.Write(t.Data)
	}
	return h.Sum32()
}

// SplitTexts holds out the last valFraction of the texts' bytes, taken
// together in order, for validation. The cut falls on a character
// boundary; a file it crosses gives a piece to each side.
func SplitTexts(texts []Text, valFraction float64) (trainPart, valPart []Text) {
	var total int64
	for _, t := range texts {
		total += int64(len(t.Data))
	}
	cut := total - int64(float64(total)*valFraction+0.5)
	for _, t := range texts {
		n := int64(len(t.Data))
		switch {
		case cut >= n:
			trainPart = append(trainPart, t)
		case cut <= 0:
			valPart = append(valPart, t)
		default:
			at := int(cut)
			for at < len(t.Data) && !utf8.RuneStart(t.Data[at]) {
				at++
			}
			if at > 0 {
				trainPart = append(trainPart, Text{Name: t.Name, Data: t.Data[:at], Offset: t.Offset})
			}
			if at < len(t.Data) {
				valPart = append(valPart, Text{Name: t.Name, Data: t.Data[at:], Offset: t.Offset + int64(at)})
			}
		}
		cut -= n
	}
	return trainPart, valPart
}

// Stream is tokenized text: the tokens of each Text one after the other,
// and the number of bytes of text each token stands for.
type Stream struct {
	IDs   []int32
	Bytes []int32 // 0 for control tokens such as BOS
}

// Tokenize tokenizes texts into one stream. A text that starts a file
// starts with BOS when the vocabulary asks for it, so that the model
// learns what beginnings look like; special-token texts are not parsed.
func Tokenize(tok *tokenizer.Tokenizer, texts []Text) Stream {
	var s Stream
	for _, t := range texts {
		ids := tok.Encode(string(t.Data), t.Offset == 0, false)
		s.IDs = append(s.IDs, ids...)
		for _, id := range ids {
			n := 0
			if !tok.IsControl(id) {
				n = len(tok.Piece(id))
			}
			s.Bytes = append(s.Bytes, int32(n))
		}
	}
	return s
}

// randomBatch draws b windows of t+1 consecutive tokens from ids, at
// offsets from rng: the model reads the first t tokens of each and
// predicts the last t. len(ids) must exceed t.
func randomBatch(rng *rand.Rand, ids []int32, b, t int) Batch {
	var batch Batch
	for range b {
		at := rng.IntN(len(ids) - t)
		batch.Inputs = append(batch.Inputs, ids[at:at+t])
		batch.Targets = append(batch.Targets, ids[at+1:at+t+1])
	}
	return batch
}

// window is a stretch of the validation stream: tokens [start, start+n]
// of which the last n are predicted.
type window struct{ start, n int }

// validationWindows cuts a stream of n tokens into windows of at most t
// predictions that together predict every token but the first once.
func validationWindows(n, t int) []window {
	var ws []window
	for start := 0; start+1 < n; start += t {
		ws = append(ws, window{start, min(t, n-1-start)})
	}
	return ws
}

// spread picks k of the windows spaced evenly over all of them, or all of
// them when k is 0 or not smaller than their number.
func spread(ws []window, k int) []window {
	if k <= 0 || k >= len(ws) {
		return ws
	}
	picked := make([]window, k)
	for i := range picked {
		picked[i] = ws[i*len(ws)/k]
	}
	return picked
}

// evaluate runs the windows of s through the model, up to b at a time, and
// returns the mean loss per predicted token (nats), the bits per byte of
// the text those tokens stand for, and the number of tokens predicted.
func (m *Model) evaluate(s Stream, ws []window, b int) (loss, bpb float64, tokens int, err error) {
	var nll float64
	var bytes int64
	for i := 0; i < len(ws); {
		// A batch is windows of one length: all of them but the last.
		j := i + 1
		for j < len(ws) && j-i < b && ws[j].n == ws[i].n {
			j++
		}
		var inputs, targets [][]int32
		for _, w := range ws[i:j] {
			inputs = append(inputs, s.IDs[w.start:w.start+w.n])
			targets = append(targets, s.IDs[w.start+1:w.start+w.n+1])
			for _, n := range s.Bytes[w.start+1 : w.start+w.n+1] {
				bytes += int64(n)
			}
			tokens += w.n
		}
		logprobs, err := m.TokenLogprobs(inputs, targets)
		if err != nil {
			return 0, 0, 0, err
		}
		for _, row := range logprobs {
			for _, lp := range row {
				nll -= float64(lp)
			}
		}
		i = j
	}
	if tokens == 0 {
		return math.NaN(), math.NaN(), 0, nil
	}
	bpb = math.NaN()
	if bytes > 0 {
		bpb = nll / math.Ln2 / float64(bytes)
	}
	return nll / float64(tokens), bpb, tokens, nil
}
