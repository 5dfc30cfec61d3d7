package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// webFiles holds the chat page and its assets, so that the binary serves them
// without reading the disk or reaching the network.
//
//go:embed web
var webFiles embed.FS

// pageCSP allows only this origin: the page loads its own script, style and
// icon, and talks to the API it came from, and nothing else.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// pageAsset is one embedded file, ready to serve.
type pageAsset struct {
	body        []byte
	contentType string
	etag        string
}

// pageContentTypes names the types of the assets explicitly, because
// mime.TypeByExtension reads the system's tables and may differ between hosts.
var pageContentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// pageHandler serves the chat page at "/" and its assets at "/NAME". Any other
// path is not found, so the handler can be mounted at "/" as a catch-all.
func pageHandler() http.Handler {
	assets, err := loadPageAssets(webFiles)
	if err != nil {
		// The files are compiled in; failing here means the build is broken.
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "index.html"
		}
		asset, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", asset.contentType)
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// The assets change only with the binary: let browsers keep them but
		// revalidate each time, which costs a 304 thanks to the ETag.
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", asset.etag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(asset.body))
	})
}

// loadPageAssets reads every file under web/ into memory with its content
// type and a content hash for the ETag.
func loadPageAssets(files fs.FS) (map[string]pageAsset, error) {
	assets := make(map[string]pageAsset)
	err := fs.WalkDir(files, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ctype, ok := pageContentTypes[path.Ext(p)]
		if !ok {
			return fmt.Errorf("server: web asset %s: unknown content type", p)
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return fmt.Errorf("server: web asset %s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		assets[strings.TrimPrefix(p, "web/")] = pageAsset{
			body:        body,
			contentType: ctype,
			etag:        `"` + hex.EncodeToString(sum[:8]) + `"`,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return assets, nil
}
