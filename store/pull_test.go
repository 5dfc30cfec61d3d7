package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zhi/store/hubtest"
)

// modelBytes returns deterministic content larger than one download chunk.
func modelBytes(size int) []byte {
	b := make([]byte, size)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(b)
	return b
}

const modelName = "hf.co/owner/repo/sub/model.Q4_0.gguf"

// newFakeHub serves content as modelName's file.
func newFakeHub(t *testing.T, content []byte) *hubtest.Hub {
	hub := hubtest.New(t)
	hub.Add("owner/repo", "sub/model.Q4_0.gguf", content)
	return hub
}

func wantFile(t *testing.T, path string, content []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("%s holds %d bytes that differ from the %d published", path, len(got), len(content))
	}
	if _, err := os.Stat(path + partialSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the partial file is still there: %v", err)
	}
}

func wantRanges(t *testing.T, hub *hubtest.Hub, want ...string) {
	t.Helper()
	var got []string
	for _, d := range hub.Downloads() {
		got = append(got, d.Range)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("downloads asked for ranges %q, want %q", got, want)
	}
}

func TestPull(t *testing.T) {
	content := modelBytes(3<<20 + 123)
	hub := newFakeHub(t, content)
	hub.RequireToken("secret")
	s := &Store{Dir: t.TempDir()}
	var last [2]int64
	o := PullOptions{Endpoint: hub.URL + "/", Token: "secret", Progress: func(done, total int64) { last = [2]int64{done, total} }}
	path, err := s.Pull(context.Background(), modelName, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(s.Dir, "hf.co", "owner", "repo", "sub", "model.Q4_0.gguf"); path != want {
		t.Fatalf("Pull put the model at %s, want %s", path, want)
	}
	wantFile(t, path, content)
	if last != [2]int64{int64(len(content)), int64(len(content))} {
		t.Errorf("last progress %v, want %d of %d", last, len(content), len(content))
	}
	wantRanges(t, hub, "")

	// Pulling again checks the file and downloads nothing.
	if again, err := s.Pull(context.Background(), "https://huggingface.co/owner/repo/resolve/main/sub/model.Q4_0.gguf", o); err != nil || again != path {
		t.Fatalf("second Pull: %s, %v", again, err)
	}
	wantRanges(t, hub, "")

	// A file that differs from the hub's is downloaded again.
	changed := bytes.Clone(content)
	changed[len(changed)-1] ^= 1
	if err := os.WriteFile(path, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(context.Background(), modelName, o); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, content)
	wantRanges(t, hub, "", "")
}

func TestPullToken(t *testing.T) {
	hub := newFakeHub(t, modelBytes(100))
	hub.RequireToken("secret")
	s := &Store{Dir: t.TempDir()}
	for token, want := range map[string]string{"": "set HF_TOKEN", "wrong": "with HF_TOKEN"} {
		_, err := s.Pull(context.Background(), modelName, PullOptions{Endpoint: hub.URL, Token: token})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("token %q: error %v, want one saying %q", token, err, want)
		}
	}
}

// TestPullResumesBrokenConnection cuts the connection half-way: Pull goes
// on from the bytes it has.
func TestPullResumesBrokenConnection(t *testing.T) {
	for _, stall := range []bool{false, true} {
		content := modelBytes(2<<20 + 5)
		hub := newFakeHub(t, content)
		half := int64(len(content) / 2)
		hub.CutNext(half, stall)
		s := &Store{Dir: t.TempDir()}
		path, err := s.Pull(context.Background(), modelName, PullOptions{Endpoint: hub.URL, StallTimeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatalf("stall %v: %v", stall, err)
		}
		wantFile(t, path, content)
		wantRanges(t, hub, "", fmt.Sprintf("bytes=%d-", half))
	}
}

// TestPullResumesPartialFile stops a Pull part-way; the next one continues
// from its partial file.
func TestPullResumesPartialFile(t *testing.T) {
	content := modelBytes(3 << 20)
	hub := newFakeHub(t, content)
	s := &Store{Dir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	stopEarly := func(done, total int64) {
		if done >= total/3 {
			cancel()
		}
	}
	_, err := s.Pull(ctx, modelName, PullOptions{Endpoint: hub.URL, Progress: stopEarly})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "resumes") {
		t.Fatalf("cancelled Pull: %v, want a cancellation saying pulling again resumes", err)
	}
	path := filepath.Join(s.Dir, "hf.co", "owner", "repo", "sub", "model.Q4_0.gguf")
	st, err := os.Stat(path + partialSuffix)
	if err != nil || st.Size() < int64(len(content)/3) {
		t.Fatalf("partial file after the cancelled Pull: %v, %v", st, err)
	}
	var first int64 = -1
	if _, err := s.Pull(context.Background(), modelName, PullOptions{Endpoint: hub.URL, Progress: func(done, total int64) {
		if first < 0 {
			first = done
		}
	}}); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, content)
	wantRanges(t, hub, "", fmt.Sprintf("bytes=%d-", st.Size()))
	if first <= 0 {
		t.Errorf("progress started at %d, want the bytes already there", first)
	}
}

// TestPullWithoutRangeSupport restarts when the server sends the whole file
// in answer to a range.
func TestPullWithoutRangeSupport(t *testing.T) {
	content := modelBytes(1<<20 + 7)
	hub := newFakeHub(t, content)
	hub.IgnoreRange(true)
	s := &Store{Dir: t.TempDir()}
	path := filepath.Join(s.Dir, "hf.co", "owner", "repo", "sub", "model.Q4_0.gguf")
	writePartial(t, path, content[:1000])
	if _, err := s.Pull(context.Background(), modelName, PullOptions{Endpoint: hub.URL}); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, content)
	wantRanges(t, hub, "bytes=1000-")
}

func writePartial(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+partialSuffix, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPullHashMismatch checks that wrong bytes, fresh or left from an
// earlier download, are deleted rather than stored.
func TestPullHashMismatch(t *testing.T) {
	content := modelBytes(1 << 20)
	for _, c := range []struct {
		name    string
		partial []byte
		corrupt bool
	}{
		{"corrupt download", nil, true},
		{"corrupt partial file", bytes.Repeat([]byte{7}, 1000), false},
	} {
		hub := newFakeHub(t, content)
		hub.Corrupt(c.corrupt)
		s := &Store{Dir: t.TempDir()}
		path := filepath.Join(s.Dir, "hf.co", "owner", "repo", "sub", "model.Q4_0.gguf")
		if c.partial != nil {
			writePartial(t, path, c.partial)
		}
		_, err := s.Pull(context.Background(), modelName, PullOptions{Endpoint: hub.URL})
		if err == nil || !strings.Contains(err.Error(), "SHA-256") {
			t.Fatalf("%s: error %v, want a SHA-256 mismatch", c.name, err)
		}
		for _, p := range []string{path, path + partialSuffix} {
			if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: %s is there after the mismatch", c.name, p)
			}
		}
	}
}

func TestPullRefuses(t *testing.T) {
	hub := newFakeHub(t, modelBytes(100))
	s := &Store{Dir: t.TempDir()}
	for name, want := range map[string]string{
		"hf.co/owner/repo/other.gguf":             "has no file other.gguf",
		"hf.co/owner/missing/f.gguf":              "owner/missing at revision main is not on the hub",
		"hf.co/owner/repo/sub/model.Q4_0.gguf@v9": "revision v9 is not on the hub",
		"hf.co/owner/repo/README.md":              "not a .gguf file",
		"hf.co/owner/repo/../../../x.gguf":        "model name",
	} {
		_, err := s.Pull(context.Background(), name, PullOptions{Endpoint: hub.URL})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Pull(%q): %v, want an error saying %q", name, err, want)
		}
	}
	if _, err := s.Pull(context.Background(), modelName, PullOptions{Endpoint: "ftp://example.com"}); err == nil {
		t.Error("Pull accepted an ftp endpoint")
	}
	wantRanges(t, hub)
	if entries, _ := os.ReadDir(s.Dir); len(entries) != 0 {
		t.Errorf("refused pulls left %v in the store", entries)
	}
}

// TestPullOversizedBody serves more bytes than the hub lists, announced by
// Content-Length or not.
func TestPullOversizedBody(t *testing.T) {
	content := modelBytes(1000)
	listed := content[:600]
	sum := sha256.Sum256(listed)
	for _, chunked := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				fmt.Fprintf(w, `{"siblings":[{"rfilename":"f.gguf","lfs":{"sha256":%q,"size":%d}}]}`, hex.EncodeToString(sum[:]), len(listed))
				return
			}
			if chunked {
				w.(http.Flusher).Flush()
			}
			w.Write(content)
		}))
		s := &Store{Dir: t.TempDir()}
		_, err := s.Pull(context.Background(), "hf.co/o/r/f.gguf", PullOptions{Endpoint: srv.URL})
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "listed") {
			t.Fatalf("chunked %v: %v, want an error about the listed size", chunked, err)
		}
	}
}

// TestPullStaysInStore points a folder of the store outside it: the pull
// must fail rather than write there.
func TestPullStaysInStore(t *testing.T) {
	hub := newFakeHub(t, modelBytes(100))
	s := &Store{Dir: t.TempDir()}
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(s.Dir, "hf.co", "owner"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir, "hf.co", "owner", "repo")); err != nil {
		t.Skip(err)
	}
	if _, err := s.Pull(context.Background(), modelName, PullOptions{Endpoint: hub.URL}); err == nil {
		t.Fatal("Pull followed a link out of the store")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("Pull wrote %v outside the store", entries)
	}
}
