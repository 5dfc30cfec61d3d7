package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"time"

	"zhi/gguf"
	"zhi/tensor"
)

// A checkpoint holds everything a run needs to continue exactly where it
// was: the parameters, the optimizer's moments, the step, the state of the
// random generator that draws the batches, the run's options and its log.
//
// The file is a small frame around a GGUF file, so that the model part is
// written and read by the same code as model files:
//
//	"ZHITRAIN"     magic, 8 bytes
//	version        uint32, little-endian
//	payload size   uint64
//	payload        GGUF: the model in F32 with its tokenizer, the AdamW
//	               moments as tensors adamw.m.NAME and adamw.v.NAME, and the
//	               run's state as zhi.train.* metadata
//	CRC-32C        uint32 of the payload
//
// The checksum catches a damaged file, which the GGUF structure alone would
// not when the damage falls in tensor data.

const (
	checkpointMagic   = "ZHITRAIN"
	checkpointVersion = 1
	checkpointHeader  = 8 + 4 + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxCount bounds the step and token counts a checkpoint may hold, far
// above any real run and exact in a float64.
const maxCount = 1 << 53

// Metadata keys of the run's state.
const (
	keyOptions = "zhi.train.options" // JSON of Options
	keyStep    = "zhi.train.step"
	keyTotal   = "zhi.train.total_steps"
	keyTokens  = "zhi.train.tokens"
	keyElapsed = "zhi.train.elapsed" // seconds
	keyRNG     = "zhi.train.rng"     // the batch generator's PCG, as MarshalBinary gives it
	keyData    = "zhi.train.data_crc"
	keyLog     = "zhi.train.log." // + column: the history, a float64 array per column
)

// logColumns are the history's columns, each read and written as float64.
var logColumns = []struct {
	name string
	get  func(*Record) float64
	set  func(*Record, float64)
}{
	{"step", func(r *Record) float64 { return float64(r.Step) }, func(r *Record, v float64) { r.Step = int(v) }},
	{"tokens", func(r *Record) float64 { return float64(r.Tokens) }, func(r *Record, v float64) { r.Tokens = int64(v) }},
	{"lr", func(r *Record) float64 { return float64(r.LR) }, func(r *Record, v float64) { r.LR = float32(v) }},
	{"loss", func(r *Record) float64 { return float64(r.Loss) }, func(r *Record, v float64) { r.Loss = float32(v) }},
	{"val_loss", func(r *Record) float64 { return r.ValLoss }, func(r *Record, v float64) { r.ValLoss = v }},
	{"val_bpb", func(r *Record) float64 { return r.ValBPB }, func(r *Record, v float64) { r.ValBPB = v }},
	{"tok_per_s", func(r *Record) float64 { return r.TokensPerSec }, func(r *Record, v float64) { r.TokensPerSec = v }},
	{"elapsed", func(r *Record) float64 { return r.Elapsed }, func(r *Record, v float64) { r.Elapsed = v }},
}

// checkpoint is the state of a run between two steps.
type checkpoint struct {
	options Options
	model   *Model
	opt     *AdamW
	rng     []byte
	step    int
	total   int
	tokens  int64
	elapsed time.Duration
	dataSum uint32
	history []Record
}

// momentName is the name of the tensor holding moment "m" or "v" of p.
func momentName(which, param string) string { return "adamw." + which + "." + param }

// write saves the checkpoint to path atomically.
func (c *checkpoint) write(path string) error {
	payload, err := c.payload()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		var head [checkpointHeader]byte
		copy(head[:], checkpointMagic)
		binary.LittleEndian.PutUint32(head[8:], checkpointVersion)
		binary.LittleEndian.PutUint64(head[12:], uint64(len(payload)))
		sum := binary.LittleEndian.AppendUint32(nil, crc32.Checksum(payload, castagnoli))
		for _, b := range [][]byte{head[:], payload, sum} {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// payload lays the checkpoint out as a GGUF file.
func (c *checkpoint) payload() ([]byte, error) {
	b, err := c.model.builder(SaveOptions{})
	if err != nil {
		return nil, err
	}
	if len(c.opt.m) != len(c.model.params) {
		return nil, fmt.Errorf("train: the optimizer has no state for the model's %d parameters", len(c.model.params))
	}
	for i, p := range c.model.params {
		for _, mom := range []struct {
			which string
			data  []float32
		}{{"m", c.opt.m[i]}, {"v", c.opt.v[i]}} {
			data := make([]byte, 4*len(mom.data))
			if err := tensor.Quantize(tensor.F32, mom.data, data); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
			shape := make([]uint64, len(p.Shape))
			for j, d := range p.Shape {
				shape[j] = uint64(d)
			}
			if err := b.AddTensor(momentName(mom.which, p.Name), tensor.F32, shape, data); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
		}
	}
	opts, err := json.Marshal(c.options)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	b.Set(keyOptions, gguf.String(string(opts)))
	b.Set(keyStep, gguf.Uint64(uint64(c.step)))
	b.Set(keyTotal, gguf.Uint64(uint64(c.total)))
	b.Set(keyTokens, gguf.Uint64(uint64(c.tokens)))
	b.Set(keyElapsed, gguf.Float64(c.elapsed.Seconds()))
	b.Set(keyRNG, gguf.Uint8s(c.rng))
	b.Set(keyData, gguf.Uint32(c.dataSum))
	for _, col := range logColumns {
		vals := make([]float64, len(c.history))
		for i := range c.history {
			vals[i] = col.get(&c.history[i])
		}
		b.Set(keyLog+col.name, gguf.Float64s(vals))
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// errDamaged is the error of a file that is a checkpoint but whose
// contents do not hold together.
var errDamaged = errors.New("the checkpoint is damaged")

// readCheckpoint reads the checkpoint at path. Its model computes with
// GOMAXPROCS workers; the caller closes it.
func readCheckpoint(path string) (*checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	c, err := decodeCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	return c, nil
}

// decodeCheckpoint checks the frame of a checkpoint file and decodes its
// payload.
func decodeCheckpoint(data []byte) (*checkpoint, error) {
	if len(data) < checkpointHeader || string(data[:8]) != checkpointMagic {
		return nil, fmt.Errorf("not a zhi training checkpoint")
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != checkpointVersion {
		return nil, fmt.Errorf("checkpoint version %d, this zhi reads version %d", v, checkpointVersion)
	}
	size := binary.LittleEndian.Uint64(data[12:])
	if have := uint64(len(data) - checkpointHeader); size > have || have-size != 4 {
		return nil, fmt.Errorf("%w: its header announces %d bytes of state, the file holds %d after the header (truncated?)",
			errDamaged, size+4, have)
	}
	payload := data[checkpointHeader : checkpointHeader+size]
	if got, want := crc32.Checksum(payload, castagnoli), binary.LittleEndian.Uint32(data[checkpointHeader+size:]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, the file says %08x", errDamaged, got, want)
	}
	return decodePayload(payload)
}

// decodePayload decodes the GGUF part of a checkpoint.
func decodePayload(payload []byte) (_ *checkpoint, err error) {
	f, err := gguf.Parse(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDamaged, err)
	}
	// Each block has nine tensors (and each tensor two moments): a count of
	// blocks the tensors cannot hold is refused before the model's loader
	// looks for all of them.
	if blocks, ok := f.Uint("llama.block_count"); ok && blocks > uint64(len(f.Tensors)/9) {
		return nil, fmt.Errorf("%w: %d blocks, %d tensors", errDamaged, blocks, len(f.Tensors))
	}
	c := &checkpoint{}
	if c.model, err = fromFile(f); err != nil {
		return nil, fmt.Errorf("%w: %w", errDamaged, err)
	}
	defer func() {
		if err != nil {
			c.model.Close()
		}
	}()
	if err := c.decodeState(f); err != nil {
		return nil, fmt.Errorf("%w: %w", errDamaged, err)
	}
	return c, nil
}

// decodeState reads what a checkpoint holds besides the parameters.
func (c *checkpoint) decodeState(f *gguf.File) error {
	opts, ok := f.String(keyOptions)
	if !ok {
		return fmt.Errorf("%s is missing", keyOptions)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(opts)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.options); err != nil {
		return fmt.Errorf("%s: %w", keyOptions, err)
	}
	if err := c.options.check(); err != nil {
		return err
	}
	if c.options.Model != c.model.Config {
		return fmt.Errorf("the options' model %+v is not the file's %+v", c.options.Model, c.model.Config)
	}
	var counts [3]uint64
	for i, key := range []string{keyStep, keyTotal, keyTokens} {
		v, ok := f.Uint(key)
		if !ok || v > maxCount {
			return fmt.Errorf("%s is missing or out of range", key)
		}
		counts[i] = v
	}
	c.step, c.total, c.tokens = int(counts[0]), int(counts[1]), int64(counts[2])
	elapsed, ok := f.Float(keyElapsed)
	if !ok || !(elapsed >= 0 && elapsed < 1e9) {
		return fmt.Errorf("%s is missing or out of range", keyElapsed)
	}
	c.elapsed = time.Duration(elapsed * float64(time.Second))
	sum, ok := f.Uint(keyData)
	if !ok || sum > math.MaxUint32 {
		return fmt.Errorf("%s is missing", keyData)
	}
	c.dataSum = uint32(sum)
	if err := c.decodeRNG(f); err != nil {
		return err
	}
	if err := c.decodeHistory(f); err != nil {
		return err
	}
	return c.decodeMoments(f)
}

// decodeRNG reads the batch generator's state, checking that it is one.
func (c *checkpoint) decodeRNG(f *gguf.File) error {
	v, ok := f.Lookup(keyRNG)
	if !ok || v.Type() != gguf.TypeArray || v.ElemType() != gguf.TypeUint8 {
		return fmt.Errorf("%s is missing", keyRNG)
	}
	c.rng = make([]byte, v.Len())
	for i := range c.rng {
		b, _ := v.Index(i).AsUint()
		c.rng[i] = byte(b)
	}
	if err := newBatchRNG(0).UnmarshalBinary(c.rng); err != nil {
		return fmt.Errorf("%s: %w", keyRNG, err)
	}
	return nil
}

// decodeHistory reads the log's columns, which must be equally long.
func (c *checkpoint) decodeHistory(f *gguf.File) error {
	for i, col := range logColumns {
		v, ok := f.Lookup(keyLog + col.name)
		if !ok || v.Type() != gguf.TypeArray || v.ElemType() != gguf.TypeFloat64 {
			return fmt.Errorf("%s%s is missing", keyLog, col.name)
		}
		if i == 0 {
			c.history = make([]Record, v.Len())
		} else if v.Len() != len(c.history) {
			return fmt.Errorf("%s%s has %d values, %sstep %d", keyLog, col.name, v.Len(), keyLog, len(c.history))
		}
		for j := range c.history {
			x, _ := v.Index(j).AsFloat()
			col.set(&c.history[j], x)
		}
	}
	return nil
}

// decodeMoments reads the optimizer's moments into a new AdamW.
func (c *checkpoint) decodeMoments(f *gguf.File) error {
	c.opt = NewAdamW()
	c.opt.WeightDecay = c.options.WeightDecay
	c.opt.step = c.step
	for _, p := range c.model.params {
		for _, which := range []string{"m", "v"} {
			name := momentName(which, p.Name)
			info, ok := f.Tensor(name)
			if !ok {
				return fmt.Errorf("tensor %s is missing", name)
			}
			if info.Type != tensor.F32 || !sameShape(info.Shape, p.Shape) {
				return fmt.Errorf("tensor %s is %s %v, want F32 %v", name, info.Type, info.Shape, p.Shape)
			}
			data := make([]float32, len(p.Data))
			if err := tensor.Dequantize(tensor.F32, f.TensorData(info), data); err != nil {
				return fmt.Errorf("tensor %s: %w", name, err)
			}
			if which == "m" {
				c.opt.m = append(c.opt.m, data)
			} else {
				c.opt.v = append(c.opt.v, data)
			}
		}
	}
	return nil
}
