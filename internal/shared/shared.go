// Package shared locates the reference data that lives beside the checkout in
// ../shared (models, reference outputs, tokenizer pairs), for tests.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of a file under ../shared. When the file is missing
// the test is skipped, or fails when ZHI_REQUIRE_SHARED=1 (as in CI).
func Path(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{root()}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("ZHI_REQUIRE_SHARED") == "1" {
			t.Fatalf("shared test data missing: %v", err)
		}
		t.Skipf("shared test data missing: %v", err)
	}
	return p
}

// Glob returns the files under ../shared matching pattern, skipping or failing
// like Path when there are none.
func Glob(t testing.TB, pattern string) []string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(root(), pattern))
	if len(matches) == 0 {
		if os.Getenv("ZHI_REQUIRE_SHARED") == "1" {
			t.Fatalf("shared test data missing: nothing matches %s", pattern)
		}
		t.Skipf("shared test data missing: nothing matches %s", pattern)
	}
	return matches
}

// root is ../shared relative to the module root, found by walking up from the
// working directory (a package directory under go test) to go.mod.
func root() string {
	dir, err := os.Getwd()
	if err != nil {
		return "../shared"
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "../shared"
		}
		dir = parent
	}
}
