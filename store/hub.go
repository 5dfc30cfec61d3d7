package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultEndpoint is the Hugging Face hub.
const DefaultEndpoint = "https://huggingface.co"

// maxMetadataBytes bounds the hub's description of a repository; the
// largest repositories list a few thousand files in well under this.
const maxMetadataBytes = 16 << 20

// defaultStall is how long a request may go without receiving anything
// before it is given up.
const defaultStall = time.Minute

// errStalled is the cause of a request abandoned by its watchdog.
var errStalled = errors.New("the hub sent nothing for too long")

// hub talks to the hub's API and file server.
type hub struct {
	base   string // endpoint without a trailing slash
	token  string
	client *http.Client
	stall  time.Duration
}

// remoteFile is what the hub publishes about a file.
type remoteFile struct {
	url    string // download address, pinned to a commit when the hub names one
	size   int64
	sha256 []byte
}

func newHub(o PullOptions) (*hub, error) {
	h := &hub{base: strings.TrimRight(o.Endpoint, "/"), token: o.Token, client: o.HTTPClient, stall: o.StallTimeout}
	if h.base == "" {
		h.base = DefaultEndpoint
	}
	u, err := url.Parse(h.base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("store: hub endpoint %q is not an http or https address", o.Endpoint)
	}
	if h.client == nil {
		h.client = http.DefaultClient
	}
	if h.stall <= 0 {
		h.stall = defaultStall
	}
	return h, nil
}

// lookup asks the hub for the size and SHA-256 of n's file at n's revision.
func (h *hub) lookup(ctx context.Context, n Name) (remoteFile, error) {
	repo := n.Owner + "/" + n.Repo
	w := newWatchdog(ctx, h.stall)
	defer w.stop()
	resp, err := h.get(w.ctx, h.base+"/api/models/"+repo+"/revision/"+url.PathEscape(n.Revision)+"?blobs=true", "")
	if err != nil {
		return remoteFile{}, fmt.Errorf("store: asking the hub about %s: %w", repo, w.explain(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return remoteFile{}, h.statusError(resp, fmt.Sprintf("%s at revision %s", repo, n.Revision))
	}
	body, err := io.ReadAll(io.LimitReader(w.reader(resp.Body), maxMetadataBytes+1))
	if err != nil {
		return remoteFile{}, fmt.Errorf("store: reading the hub's description of %s: %w", repo, w.explain(err))
	}
	if len(body) > maxMetadataBytes {
		return remoteFile{}, fmt.Errorf("store: the hub's description of %s is over %d bytes", repo, maxMetadataBytes)
	}
	var info struct {
		SHA      string `json:"sha"`
		Siblings []struct {
			Name string `json:"rfilename"`
			LFS  *struct {
				SHA256 string `json:"sha256"`
				Size   int64  `json:"size"`
			} `json:"lfs"`
		} `json:"siblings"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return remoteFile{}, fmt.Errorf("store: the hub's description of %s: %w", repo, err)
	}
	for _, s := range info.Siblings {
		if s.Name != n.File {
			continue
		}
		if s.LFS == nil {
			return remoteFile{}, fmt.Errorf("store: the hub publishes no SHA-256 for %s in %s (not stored with LFS), so it cannot be checked", n.File, repo)
		}
		sum, err := hex.DecodeString(s.LFS.SHA256)
		if err != nil || len(sum) != 32 || s.LFS.Size <= 0 {
			return remoteFile{}, fmt.Errorf("store: the hub lists %s in %s with SHA-256 %q and size %d", n.File, repo, s.LFS.SHA256, s.LFS.Size)
		}
		// Fetching the commit the description is of, rather than the
		// branch, keeps the bytes matching the hash should the branch move.
		rev := n.Revision
		if c, err := hex.DecodeString(info.SHA); err == nil && len(c) == 20 {
			rev = info.SHA
		}
		return remoteFile{url: h.fileURL(n, rev), size: s.LFS.Size, sha256: sum}, nil
	}
	return remoteFile{}, fmt.Errorf("store: %s has no file %s at revision %s", repo, n.File, n.Revision)
}

func (h *hub) fileURL(n Name, rev string) string {
	segments := strings.Split(n.File, "/")
	for i, s := range segments {
		segments[i] = url.PathEscape(s)
	}
	return h.base + "/" + n.Owner + "/" + n.Repo + "/resolve/" + url.PathEscape(rev) + "/" + strings.Join(segments, "/")
}

// get sends a GET request with the token and, for rangeHeader not empty, a
// Range header. Redirects are followed; the client drops the token when
// one leads to another host, as the hub's downloads do.
func (h *hub) get(ctx context.Context, address, rangeHeader string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, address, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "zhi")
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	if rangeHeader != "" {
		req.Header.Set("Range", rangeHeader)
	}
	return h.client.Do(req)
}

// statusError explains a refusal from the hub about what.
func (h *hub) statusError(resp *http.Response, what string) error {
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		if h.token == "" {
			return fmt.Errorf("store: the hub refused access to %s (%s): it may be misspelt, private or gated; set HF_TOKEN to use your account", what, resp.Status)
		}
		return fmt.Errorf("store: the hub refused access to %s with HF_TOKEN (%s): it may be misspelt, or gated and not accepted", what, resp.Status)
	case http.StatusNotFound:
		return fmt.Errorf("store: %s is not on the hub (%s)", what, resp.Status)
	}
	return fmt.Errorf("store: the hub answered %s for %s", resp.Status, what)
}

// watchdog cancels a request when its reader goes stall long without data.
type watchdog struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	stall  time.Duration
}

func newWatchdog(parent context.Context, stall time.Duration) *watchdog {
	ctx, cancel := context.WithCancelCause(parent)
	return &watchdog{ctx: ctx, cancel: cancel, stall: stall, timer: time.AfterFunc(stall, func() { cancel(errStalled) })}
}

func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel(nil)
}

// reader returns r, rearming the watchdog whenever data arrives.
func (w *watchdog) reader(r io.Reader) io.Reader { return watchedReader{r, w} }

// explain replaces the error of a request the watchdog ended.
func (w *watchdog) explain(err error) error {
	if errors.Is(context.Cause(w.ctx), errStalled) {
		return fmt.Errorf("%w (%v)", errStalled, w.stall)
	}
	return err
}

type watchedReader struct {
	r io.Reader
	w *watchdog
}

func (r watchedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.w.timer.Reset(r.w.stall)
	}
	return n, err
}
