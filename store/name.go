package store

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Host is the first segment of every model name and of the store's layout.
const Host = "hf.co"

// DefaultRevision is the revision a name without "@REV" asks for.
const DefaultRevision = "main"

// Limits on the parts of a name. They are far above what the hub has, and
// keep every path the store builds well below the file systems' limits.
const (
	maxNameLen     = 1024
	maxRepoPartLen = 96
	maxSegmentLen  = 255
	maxRevisionLen = 255
)

// partialSuffix marks a download in progress; names may not use it, so a
// partial file never collides with a model.
const partialSuffix = ".partial"

// Name identifies a GGUF file in a Hugging Face model repository.
type Name struct {
	Owner    string // user or organization
	Repo     string // repository under Owner
	File     string // path inside the repository, slash-separated
	Revision string // branch, tag or commit
}

// ParseName reads a model name in one of the forms
//
//	hf.co/OWNER/REPO/FILE.gguf[@REV]
//	huggingface.co/OWNER/REPO/FILE.gguf[@REV]
//	https://huggingface.co/OWNER/REPO/resolve/REV/FILE.gguf
//
// where FILE may lie in folders. Every part is checked, so that the name
// maps to a path inside the store however it was written.
func ParseName(s string) (Name, error) {
	if len(s) > maxNameLen {
		return Name{}, fmt.Errorf("store: model name is %d bytes long, the most is %d", len(s), maxNameLen)
	}
	n, err := splitName(s)
	if err == nil {
		err = n.validate()
	}
	if err != nil {
		return Name{}, fmt.Errorf("store: model name %q: %w", s, err)
	}
	return n, nil
}

// String returns the name the store keeps the file under. It leaves out the
// revision: the store holds one copy of each file, the one pulled last.
func (n Name) String() string {
	return Host + "/" + n.Owner + "/" + n.Repo + "/" + n.File
}

// looksLikeName reports whether s is meant as a model name rather than a
// path, so that a malformed name is reported as such.
func looksLikeName(s string) bool {
	for _, prefix := range []string{Host + "/", "huggingface.co/", "https://", "http://"} {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func splitName(s string) (Name, error) {
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return splitURL(s)
	}
	host, rest, _ := strings.Cut(s, "/")
	if host != Host && host != "huggingface.co" {
		return Name{}, fmt.Errorf("it must start with %s/ or huggingface.co/", Host)
	}
	n := Name{Revision: DefaultRevision}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest, n.Revision = rest[:i], rest[i+1:]
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 {
		return Name{}, fmt.Errorf("it must be %s/OWNER/REPO/FILE.gguf", Host)
	}
	n.Owner, n.Repo, n.File = parts[0], parts[1], parts[2]
	return n, nil
}

// splitURL reads the address of a file on the hub's web site: its download
// link (resolve) or its page (blob).
func splitURL(s string) (Name, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Name{}, err
	}
	if (u.Hostname() != "huggingface.co" && u.Hostname() != Host) || u.Port() != "" || u.User != nil {
		return Name{}, fmt.Errorf("only huggingface.co addresses are model names")
	}
	segments := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(segments) < 5 || (segments[2] != "resolve" && segments[2] != "blob") {
		return Name{}, fmt.Errorf("the address must be https://huggingface.co/OWNER/REPO/resolve/REV/FILE.gguf")
	}
	for i, seg := range segments {
		// A slash written as %2F is a slash inside the segment, which
		// validation then refuses everywhere except in the revision.
		if segments[i], err = url.PathUnescape(seg); err != nil {
			return Name{}, err
		}
	}
	return Name{
		Owner:    segments[0],
		Repo:     segments[1],
		Revision: segments[3],
		File:     strings.Join(segments[4:], "/"),
	}, nil
}

func (n Name) validate() error {
	if err := checkRepoPart("owner", n.Owner); err != nil {
		return err
	}
	if err := checkRepoPart("repository", n.Repo); err != nil {
		return err
	}
	if err := checkRevision(n.Revision); err != nil {
		return err
	}
	segments := strings.Split(n.File, "/")
	for _, seg := range segments {
		if err := checkFileSegment(seg); err != nil {
			return err
		}
	}
	if base := segments[len(segments)-1]; !strings.HasSuffix(base, ".gguf") || len(base) == len(".gguf") {
		return fmt.Errorf("file %q is not a .gguf file", n.File)
	}
	return nil
}

// checkRepoPart applies the hub's rules for owner and repository names:
// letters, digits, "-", "_" and ".", starting and ending with a letter,
// digit or "_", without "--" or "..".
func checkRepoPart(what, s string) error {
	if s == "" || len(s) > maxRepoPartLen {
		return fmt.Errorf("%s must be 1 to %d characters", what, maxRepoPartLen)
	}
	for _, c := range []byte(s) {
		if !isWordByte(c) && c != '-' && c != '.' {
			return fmt.Errorf("%s %q may hold only letters, digits, '-', '_' and '.'", what, s)
		}
	}
	if !isWordByte(s[0]) || !isWordByte(s[len(s)-1]) || strings.Contains(s, "--") || strings.Contains(s, "..") {
		return fmt.Errorf("%s %q must start and end with a letter or digit, without \"--\" or \"..\"", what, s)
	}
	return nil
}

// checkRevision accepts branch and tag names and commit hashes. A revision
// is never part of a path, but it is part of the hub's addresses.
func checkRevision(s string) error {
	if s == "" || len(s) > maxRevisionLen {
		return fmt.Errorf("revision must be 1 to %d characters", maxRevisionLen)
	}
	for _, c := range []byte(s) {
		if !isWordByte(c) && c != '-' && c != '.' && c != '/' {
			return fmt.Errorf("revision %q may hold only letters, digits, '-', '_', '.' and '/'", s)
		}
	}
	if strings.Contains(s, "..") || strings.Contains(s, "//") || s[0] == '/' || s[len(s)-1] == '/' {
		return fmt.Errorf("revision %q is not a branch, tag or commit", s)
	}
	return nil
}

// checkFileSegment refuses what could leave the store's directory or mean
// something else to a file system: "." and "..", separators, drive colons,
// control characters, and the suffix the store reserves for downloads.
func checkFileSegment(seg string) error {
	switch {
	case seg == "" || seg == "." || seg == "..":
		return fmt.Errorf("file path has an empty, \".\" or \"..\" part")
	case len(seg) > maxSegmentLen:
		return fmt.Errorf("file path has a part over %d bytes", maxSegmentLen)
	case !utf8.ValidString(seg):
		return fmt.Errorf("file path is not UTF-8")
	case strings.ContainsAny(seg, `\:@`):
		return fmt.Errorf("file path part %q holds '\\', ':' or '@'", seg)
	case strings.HasSuffix(seg, partialSuffix):
		return fmt.Errorf("file path part %q ends in %s, which the store keeps for downloads", seg, partialSuffix)
	case !filepath.IsLocal(seg):
		return fmt.Errorf("file path part %q is not a plain name here", seg)
	}
	for _, r := range seg {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("file path part %q holds a control character", seg)
		}
	}
	return nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
