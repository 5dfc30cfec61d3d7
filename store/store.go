// Package store keeps GGUF models downloaded from the Hugging Face hub in a
// directory, under names such as hf.co/OWNER/REPO/FILE.gguf.
//
// A model named hf.co/OWNER/REPO/FILE.gguf lives at DIR/hf.co/OWNER/REPO/FILE.gguf.
// Names are checked part by part and every file operation goes through an
// os.Root of DIR, so no name reaches a file outside the store.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Store is a directory of models.
type Store struct {
	Dir string
}

// Model is a model file in the store.
type Model struct {
	Name     string // as hf.co/OWNER/REPO/FILE.gguf
	Path     string
	Size     int64
	Modified time.Time
}

// Default returns the store in $ZHI_MODELS, or in ~/.zhi/models when it is
// not set.
func Default() (*Store, error) {
	dir := os.Getenv("ZHI_MODELS")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("store: no home directory for ~/.zhi/models (set ZHI_MODELS): %w", err)
		}
		dir = filepath.Join(home, ".zhi", "models")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Store{Dir: abs}, nil
}

// relPath returns where the store keeps n, relative to its directory.
func relPath(n Name) (string, error) {
	rel := filepath.Join(Host, n.Owner, n.Repo, filepath.FromSlash(n.File))
	// Validation already keeps names inside; this is the last line of
	// defence should it ever be loosened.
	if !filepath.IsLocal(rel) || !strings.HasPrefix(rel, Host+string(filepath.Separator)) {
		return "", fmt.Errorf("store: model name %s leaves the store", n)
	}
	return rel, nil
}

// Resolve returns the file a model flag means: nameOrPath itself when it
// exists, else the store's file for the model name.
func (s *Store) Resolve(nameOrPath string) (string, error) {
	if _, err := os.Stat(nameOrPath); err == nil {
		return nameOrPath, nil
	}
	n, err := ParseName(nameOrPath)
	if err != nil {
		if looksLikeName(nameOrPath) {
			return "", err
		}
		return "", fmt.Errorf("model file %s does not exist", nameOrPath)
	}
	rel, err := relPath(n)
	if err != nil {
		return "", err
	}
	p := filepath.Join(s.Dir, rel)
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return "", fmt.Errorf("model %s is not a file and not in the store (zhi pull %s)", nameOrPath, nameOrPath)
	}
	return p, nil
}

// List returns the store's models sorted by name, leaving out unfinished
// downloads. A store that does not exist yet is empty.
func (s *Store) List() ([]Model, error) {
	root, err := os.OpenRoot(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer root.Close()
	var models []Model
	err = fs.WalkDir(root.FS(), Host, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == Host {
			return fs.SkipAll
		}
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if n, err := ParseName(p); err != nil || n.String() != p {
			return nil // not a file the store made
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		models = append(models, Model{
			Name:     p,
			Path:     filepath.Join(s.Dir, filepath.FromSlash(p)),
			Size:     info.Size(),
			Modified: info.ModTime(),
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	slices.SortFunc(models, func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
	return models, nil
}

// Remove deletes a model and any unfinished download of it, then the
// folders that held only it.
func (s *Store) Remove(name string) error {
	n, err := ParseName(name)
	if err != nil {
		return err
	}
	rel, err := relPath(n)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: model %s is not in the store", n)
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer root.Close()
	found := false
	for _, p := range []string{rel, rel + partialSuffix} {
		err := root.Remove(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: %w", err)
		}
		found = found || err == nil
	}
	if !found {
		return fmt.Errorf("store: model %s is not in the store", n)
	}
	// Remove fails on a folder that still holds something, which ends the
	// climb; that is not an error.
	for dir := path.Dir(filepath.ToSlash(rel)); dir != "."; dir = path.Dir(dir) {
		if root.Remove(filepath.FromSlash(dir)) != nil {
			break
		}
	}
	return nil
}
