package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Record is what a training run logs for one optimizer step: a row of its
// CSV file.
type Record struct {
	Step   int
	Tokens int64   // training tokens seen up to and including this step
	LR     float32 // learning rate of the step
	Loss   float32 // mean training loss of the step's batches, nats per token
	// ValLoss is the mean loss on the validation windows, nats per token,
	// and ValBPB the same in bits per byte of the text they predict; both
	// NaN at steps without an evaluation. The last step's evaluation
	// covers all of the validation text, earlier ones a sample of it.
	ValLoss, ValBPB float64
	TokensPerSec    float64 // training speed around this step
	Elapsed         float64 // seconds since the run started, resumed runs' time included
}

// Status is what a run reports after each step, for a progress display.
type Status struct {
	Record
	// TotalSteps is the length of the run: under a time budget an
	// estimate that changes, 0 before the first.
	TotalSteps int
	// LastValLoss and LastValBPB are the latest validation results, NaN
	// before the first.
	LastValLoss, LastValBPB float64
	ETA                     time.Duration // until the last step
}

// csvHeader names the columns of the CSV log.
const csvHeader = "step,tokens,lr,loss,val_loss,val_bpb,tok_per_s,elapsed\n"

// appendCSV appends r to b as a row of the CSV log; NaN values are empty
// fields.
func appendCSV(b []byte, r Record) []byte {
	num := func(b []byte, v float64, prec int) []byte {
		b = append(b, ',')
		if math.IsNaN(v) {
			return b
		}
		return strconv.AppendFloat(b, v, 'g', prec, 64)
	}
	b = strconv.AppendInt(b, int64(r.Step), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.Tokens, 10)
	b = num(b, float64(r.LR), 6)
	b = num(b, float64(r.Loss), 6)
	b = num(b, r.ValLoss, 6)
	b = num(b, r.ValBPB, 6)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.TokensPerSec, 'f', 1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.Elapsed, 'f', 3, 64)
	return append(b, '\n')
}

// csvLog is a CSV log open for appending rows as the run makes them.
type csvLog struct {
	path string
	f    *os.File
	buf  []byte
}

// createCSV writes the header and the rows of history to path, replacing
// what it held (the rows of steps a crash lost are gone with it), and
// opens it for appending.
func createCSV(path string, history []Record) (*csvLog, error) {
	if err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(csvRows(history))
		return err
	}); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return &csvLog{path: path, f: f}, nil
}

// csvRows is the whole CSV file of history.
func csvRows(history []Record) []byte {
	b := []byte(csvHeader)
	for _, r := range history {
		b = appendCSV(b, r)
	}
	return b
}

// add appends a row.
func (l *csvLog) add(r Record) error {
	l.buf = appendCSV(l.buf[:0], r)
	if _, err := l.f.Write(l.buf); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// close closes the file.
func (l *csvLog) close() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// writeFileAtomic writes a file through fn so that path holds either its
// old contents or all of the new ones, even after a crash: it writes a
// temporary file beside it, syncs it to disk, renames it over path and
// syncs the directory.
func writeFileAtomic(path string, fn func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fn(tmp); err != nil {
		return fmt.Errorf("train: writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	// The rename lasts through a crash only once the directory is synced.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeBytesAtomic writes data to path as writeFileAtomic does.
func writeBytesAtomic(path string, data []byte) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
