// Package hubtest runs a fake Hugging Face hub for tests: the model API's
// revision endpoint and file downloads, with faults to order.
//
// Like the hub, it answers GET /api/models/OWNER/REPO/revision/REV?blobs=true
// with the repository's files, sizes and SHA-256 sums, and redirects
// GET /OWNER/REPO/resolve/REV/FILE to the file's blob, which it serves with
// support for Range requests.
package hubtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Commit is the commit the fake's only branch, main, points at.
const Commit = "0123456789abcdef0123456789abcdef01234567"

// Hub is a running fake hub.
type Hub struct {
	*httptest.Server

	mu          sync.Mutex
	token       string
	repos       map[string]map[string][]byte // "OWNER/REPO" → file → content
	cutAfter    int64                        // < 0: no cut
	stallAtCut  bool
	corrupt     bool
	ignoreRange bool
	downloads   []Download
}

// Download is a request for a file's bytes that reached the fake.
type Download struct {
	Path  string // the blob's path, /blobs/SHA256
	Range string // the Range header, empty for the whole file
}

// New starts a fake hub that stops when the test ends.
func New(t testing.TB) *Hub {
	h := &Hub{repos: map[string]map[string][]byte{}, cutAfter: -1}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

// Add publishes content as file (a slash-separated path) in repo
// ("OWNER/REPO"), stored with LFS as the hub stores GGUF files.
func (h *Hub) Add(repo, file string, content []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.repos[repo] == nil {
		h.repos[repo] = map[string][]byte{}
	}
	h.repos[repo][file] = content
}

// RequireToken makes the API and downloads refuse requests without token
// as a bearer token, as the hub does for private and gated repositories.
func (h *Hub) RequireToken(token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.token = token
}

// CutNext makes the next download break off after n bytes of its body,
// dropping the connection; with stall it goes silent instead, until the
// client hangs up.
func (h *Hub) CutNext(n int64, stall bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cutAfter, h.stallAtCut = n, stall
}

// Corrupt makes downloads send one wrong byte, so that their SHA-256 is not
// the one the API lists.
func (h *Hub) Corrupt(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.corrupt = on
}

// IgnoreRange makes downloads answer Range requests with the whole file,
// as servers without range support do.
func (h *Hub) IgnoreRange(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ignoreRange = on
}

// Downloads returns the download requests received so far.
func (h *Hub) Downloads() []Download {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Download(nil), h.downloads...)
}

func (h *Hub) serve(w http.ResponseWriter, r *http.Request) {
	segments := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i, s := range segments {
		var err error
		if segments[i], err = url.PathUnescape(s); err != nil {
			fail(w, http.StatusBadRequest, "bad path")
			return
		}
	}
	switch {
	case r.Method != http.MethodGet:
		fail(w, http.StatusMethodNotAllowed, "GET only")
	case len(segments) == 2 && segments[0] == "blobs":
		h.serveBlob(w, r, segments[1])
	case !h.authorized(r):
		fail(w, http.StatusUnauthorized, "Invalid credentials in Authorization header")
	case len(segments) == 6 && segments[0] == "api" && segments[1] == "models" && segments[4] == "revision":
		h.serveRevision(w, segments[2]+"/"+segments[3], segments[5])
	case len(segments) >= 5 && segments[2] == "resolve":
		h.serveResolve(w, r, segments[0]+"/"+segments[1], segments[3], strings.Join(segments[4:], "/"))
	default:
		fail(w, http.StatusNotFound, "not found")
	}
}

func (h *Hub) authorized(r *http.Request) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.token == "" || r.Header.Get("Authorization") == "Bearer "+h.token
}

// files returns the repository's files at rev, or why there are none.
func (h *Hub) files(repo, rev string) (map[string][]byte, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	files := h.repos[repo]
	switch {
	case files == nil:
		return nil, "Repository not found"
	case rev != "main" && rev != Commit:
		return nil, "Invalid rev id: " + rev
	}
	return files, ""
}

type sibling struct {
	Name   string `json:"rfilename"`
	Size   int    `json:"size"`
	BlobID string `json:"blobId"`
	LFS    *lfs   `json:"lfs,omitempty"`
}

type lfs struct {
	SHA256      string `json:"sha256"`
	Size        int    `json:"size"`
	PointerSize int    `json:"pointerSize"`
}

func (h *Hub) serveRevision(w http.ResponseWriter, repo, rev string) {
	files, why := h.files(repo, rev)
	if files == nil {
		fail(w, http.StatusNotFound, why)
		return
	}
	// Every repository has a README, kept in git rather than LFS.
	siblings := []sibling{{Name: "README.md", Size: 10, BlobID: strings.Repeat("ab", 20)}}
	for name, content := range files {
		sum := hex.EncodeToString(sha256Sum(content))
		siblings = append(siblings, sibling{Name: name, Size: len(content), BlobID: sum[:40], LFS: &lfs{SHA256: sum, Size: len(content), PointerSize: 134}})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": repo, "sha": Commit, "private": false, "siblings": siblings})
}

func (h *Hub) serveResolve(w http.ResponseWriter, r *http.Request, repo, rev, file string) {
	files, why := h.files(repo, rev)
	content, ok := files[file]
	if files == nil || !ok {
		if why == "" {
			why = "Entry not found"
		}
		fail(w, http.StatusNotFound, why)
		return
	}
	http.Redirect(w, r, "/blobs/"+hex.EncodeToString(sha256Sum(content)), http.StatusFound)
}

func (h *Hub) serveBlob(w http.ResponseWriter, r *http.Request, sum string) {
	h.mu.Lock()
	h.downloads = append(h.downloads, Download{Path: r.URL.Path, Range: r.Header.Get("Range")})
	var content []byte
	for _, files := range h.repos {
		for _, c := range files {
			if hex.EncodeToString(sha256Sum(c)) == sum {
				content = c
			}
		}
	}
	if h.corrupt && len(content) > 0 {
		content = bytes.Clone(content)
		content[len(content)/2] ^= 1
	}
	if h.ignoreRange {
		r.Header.Del("Range")
	}
	out := w
	if h.cutAfter >= 0 {
		out = &cutWriter{ResponseWriter: w, left: h.cutAfter, stall: h.stallAtCut, r: r}
		h.cutAfter = -1
	}
	h.mu.Unlock()
	if content == nil {
		fail(w, http.StatusNotFound, "no such blob")
		return
	}
	out.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(out, r, "", time.Time{}, bytes.NewReader(content))
}

// cutWriter ends a response after a number of body bytes.
type cutWriter struct {
	http.ResponseWriter
	left  int64
	stall bool
	r     *http.Request
}

func (w *cutWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= w.left {
		w.left -= int64(len(p))
		return w.ResponseWriter.Write(p)
	}
	w.ResponseWriter.Write(p[:w.left])
	http.NewResponseController(w.ResponseWriter).Flush()
	if w.stall {
		<-w.r.Context().Done()
	}
	panic(http.ErrAbortHandler) // drops the connection mid-body
}

func fail(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": message})
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
