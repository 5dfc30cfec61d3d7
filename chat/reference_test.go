package chat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zhi/internal/shared"
)

// referenceFile is ../shared/templates/chat-templates.ref.json: prompts
// the reference engine rendered from real models' chat templates.
type referenceFile struct {
	BOS   string `json:"bos_token"`
	EOS   string `json:"eos_token"`
	Cases []struct {
		Template     string    `json:"template"`
		Conversation string    `json:"conversation"`
		Messages     []Message `json:"messages"`
		Prompt       string    `json:"prompt"`
	} `json:"cases"`
}

// referenceClock is the day the reference rendered on; datetimeClock is
// the time it fed to templates as the datetime variable.
var (
	referenceClock = func() time.Time { return time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC) }
	datetimeClock  = func() time.Time { return time.Date(2025, 1, 29, 13, 0, 0, 0, time.UTC) }
)

func loadReference(t testing.TB) (*referenceFile, string) {
	t.Helper()
	path := shared.Path(t, "templates", "chat-templates.ref.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref referenceFile
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) == 0 {
		t.Fatal("no cases")
	}
	return &ref, filepath.Dir(path)
}

func TestReferenceRenderings(t *testing.T) {
	ref, dir := loadReference(t)
	for _, c := range ref.Cases {
		t.Run(strings.TrimSuffix(c.Template, ".jinja")+"/"+c.Conversation, func(t *testing.T) {
			source, err := os.ReadFile(filepath.Join(dir, c.Template))
			if err != nil {
				t.Fatal(err)
			}
			clock := referenceClock
			if strings.Contains(string(source), "datetime") {
				clock = datetimeClock
			}
			tmpl, err := Parse(c.Template, string(source), Options{BOS: ref.BOS, EOS: ref.EOS, Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Render(c.Messages, true)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.Prompt {
				t.Errorf("rendered\n%q\nwant\n%q", got, c.Prompt)
			}
		})
	}
}
