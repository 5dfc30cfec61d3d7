package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// PullOptions configure Pull.
type PullOptions struct {
	Endpoint     string                  // the hub's address; empty means DefaultEndpoint
	Token        string                  // sent as a bearer token when not empty
	HTTPClient   *http.Client            // nil means http.DefaultClient
	Progress     func(done, total int64) // called as bytes are checked or arrive; nil for none
	StallTimeout time.Duration           // give up a request silent this long; 0 means one minute
}

// maxAttempts bounds the requests of one Pull when the connection keeps
// breaking off; what arrived stays in the partial file for the next Pull.
const maxAttempts = 3

// chunkSize is how much of a download is held in memory at once.
const chunkSize = 1 << 20

// Pull downloads the model name from the hub into the store and returns its
// path. It asks the hub for the file's size and SHA-256, continues a
// download an earlier Pull left unfinished, and only moves the file into
// place once both match. A model already in the store with the hub's hash
// is left as it is.
func (s *Store) Pull(ctx context.Context, name string, o PullOptions) (string, error) {
	n, err := ParseName(name)
	if err != nil {
		return "", err
	}
	rel, err := relPath(n)
	if err != nil {
		return "", err
	}
	h, err := newHub(o)
	if err != nil {
		return "", err
	}
	remote, err := h.lookup(ctx, n)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	root, err := os.OpenRoot(s.Dir)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	defer root.Close()
	if err := root.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	d := &download{hub: h, remote: remote, name: n, sum: newTally(remote.size, o.Progress)}
	if ok, err := d.have(root, rel); err != nil || ok {
		return filepath.Join(s.Dir, rel), err
	}
	if err := d.run(ctx, root, rel); err != nil {
		return "", err
	}
	return filepath.Join(s.Dir, rel), nil
}

// download fetches one file into its partial file.
type download struct {
	hub    *hub
	remote remoteFile
	name   Name
	out    *os.File
	sum    *tally
}

// have reports whether the store already holds the file the hub lists.
func (d *download) have(root *os.Root, rel string) (bool, error) {
	f, err := root.Open(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	if st.Size() != d.remote.size {
		return false, nil
	}
	if _, err := io.Copy(d.sum, f); err != nil {
		return false, fmt.Errorf("store: checking %s: %w", d.name, err)
	}
	ok := bytes.Equal(d.sum.hash.Sum(nil), d.remote.sha256)
	d.sum.reset()
	return ok, nil
}

// run downloads into rel's partial file, from where an earlier run
// stopped, checks it and moves it to rel.
func (d *download) run(ctx context.Context, root *os.Root, rel string) error {
	partial := rel + partialSuffix
	out, err := root.OpenFile(partial, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer out.Close()
	d.out = out
	if err := d.resume(); err != nil {
		return err
	}
	for attempt := 1; d.sum.done < d.remote.size; attempt++ {
		err := d.fetch(ctx)
		var broken brokenError
		if err == nil || (errors.As(err, &broken) && attempt < maxAttempts && ctx.Err() == nil) {
			continue
		}
		if errors.As(err, &broken) {
			return fmt.Errorf("store: download of %s stopped at %d of %d bytes (pulling again resumes it): %w", d.name, d.sum.done, d.remote.size, err)
		}
		return err
	}
	if got := d.sum.hash.Sum(nil); !bytes.Equal(got, d.remote.sha256) {
		out.Close()
		if err := root.Remove(partial); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return fmt.Errorf("store: %s: the download's SHA-256 is %x but the hub lists %x; the download was deleted", d.name, got, d.remote.sha256)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := root.Rename(partial, rel); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	syncDir(root, filepath.Dir(rel))
	return nil
}

// resume hashes what an earlier run left in the partial file, so that the
// final check covers every byte.
func (d *download) resume() error {
	st, err := d.out.Stat()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if st.Size() > d.remote.size {
		return d.restart()
	}
	if _, err := io.CopyN(d.sum, d.out, st.Size()); err != nil {
		return fmt.Errorf("store: reading the partial download of %s: %w", d.name, err)
	}
	return nil
}

// restart empties the partial file.
func (d *download) restart() error {
	d.sum.reset()
	if err := d.out.Truncate(0); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := d.out.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// brokenError is a download that ended early, worth trying again from
// where it stopped.
type brokenError struct{ err error }

func (e brokenError) Error() string { return e.err.Error() }
func (e brokenError) Unwrap() error { return e.err }

// fetch asks for the rest of the file and appends what arrives.
func (d *download) fetch(ctx context.Context) error {
	w := newWatchdog(ctx, d.hub.stall)
	defer w.stop()
	var rangeHeader string
	if d.sum.done > 0 {
		rangeHeader = "bytes=" + strconv.FormatInt(d.sum.done, 10) + "-"
	}
	resp, err := d.hub.get(w.ctx, d.remote.url, rangeHeader)
	if err != nil {
		return fmt.Errorf("store: downloading %s: %w", d.name, w.explain(err))
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if err := d.checkRange(resp.Header.Get("Content-Range")); err != nil {
			return err
		}
	case http.StatusOK:
		// The server ignored the range and sends the whole file.
		if err := d.restart(); err != nil {
			return err
		}
	case http.StatusRequestedRangeNotSatisfiable:
		// The partial file is not a prefix of the file the hub has now.
		if err := d.restart(); err != nil {
			return err
		}
		return brokenError{fmt.Errorf("the hub refused to resume at byte %d", d.sum.done)}
	default:
		return d.hub.statusError(resp, fmt.Sprintf("%s in %s/%s", d.name.File, d.name.Owner, d.name.Repo))
	}
	rest := d.remote.size - d.sum.done
	if resp.ContentLength > rest {
		return fmt.Errorf("store: the hub sends %d bytes of %s where %d remain of the listed size", resp.ContentLength, d.name, rest)
	}
	body := w.reader(resp.Body)
	buf := make([]byte, chunkSize)
	for d.sum.done < d.remote.size {
		n, err := io.ReadFull(body, buf[:min(int64(len(buf)), d.remote.size-d.sum.done)])
		if _, werr := d.out.Write(buf[:n]); werr != nil {
			return fmt.Errorf("store: %w", werr)
		}
		d.sum.Write(buf[:n])
		if err != nil {
			return brokenError{w.explain(err)}
		}
	}
	// Whatever follows the listed size means the file is not what the
	// hub described.
	if n, _ := body.Read(buf[:1]); n > 0 {
		return fmt.Errorf("store: the hub sends more of %s than its listed %d bytes", d.name, d.remote.size)
	}
	return nil
}

// checkRange makes sure a partial response starts where the file stops.
func (d *download) checkRange(contentRange string) error {
	spec, ok := strings.CutPrefix(contentRange, "bytes ")
	first, rest, ok2 := strings.Cut(spec, "-")
	start, err := strconv.ParseInt(first, 10, 64)
	_, total, ok3 := strings.Cut(rest, "/")
	if !ok || !ok2 || !ok3 || err != nil || start != d.sum.done {
		return fmt.Errorf("store: the hub resumed %s with range %q, asked for bytes from %d", d.name, contentRange, d.sum.done)
	}
	if total != "*" && total != strconv.FormatInt(d.remote.size, 10) {
		return fmt.Errorf("store: the hub's %s is %s bytes long, listed as %d", d.name, total, d.remote.size)
	}
	return nil
}

// syncDir makes a rename in dir durable. Not every system can sync a
// directory, and the file itself is already synced, so failure is ignored.
func syncDir(root *os.Root, dir string) {
	if f, err := root.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// tally hashes and counts the bytes of a file as they are checked or
// written, and reports progress.
type tally struct {
	hash     hash.Hash
	done     int64
	total    int64
	progress func(done, total int64)
}

func newTally(total int64, progress func(done, total int64)) *tally {
	return &tally{hash: sha256.New(), total: total, progress: progress}
}

func (t *tally) Write(p []byte) (int, error) {
	t.hash.Write(p)
	t.done += int64(len(p))
	if t.progress != nil && len(p) > 0 {
		t.progress(t.done, t.total)
	}
	return len(p), nil
}

func (t *tally) reset() {
	t.hash.Reset()
	t.done = 0
	if t.progress != nil {
		t.progress(0, t.total)
	}
}
