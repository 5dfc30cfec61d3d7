package chat

import (
	"testing"
	"time"
)

func TestStrftime(t *testing.T) {
	at := time.Date(2026, 3, 5, 14, 7, 9, 123456000, time.UTC)
	for _, c := range []struct{ format, want string }{
		{"%d %b %Y", "05 Mar 2026"},
		{"%B %m %y %j", "March 03 26 064"},
		{"%H:%M:%S %I %p", "14:07:09 02 PM"},
		{"%a %A %u %w", "Thu Thursday 4 4"},
		{"%-d/%-m %-H%%", "5/3 14%"},
		{"%e|%F|%T|%D|%R|%f", " 5|2026-03-05|14:07:09|03/05/26|14:07|123456"},
		{"%c", "Thu Mar  5 14:07:09 2026"},
		{"%Z %z", "UTC +0000"},
		{"%q %-q trailing %", "%q %-q trailing %"},
		{"%b %d %Y %H:%M:%S GMT", "Mar 05 2026 14:07:09 GMT"},
	} {
		if got := strftime(c.format, at); got != c.want {
			t.Errorf("strftime(%q) = %q, want %q", c.format, got, c.want)
		}
	}
	midnight := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := strftime("%I %p", midnight); got != "12 AM" {
		t.Errorf("midnight: %q", got)
	}
}

// strftime_now() and datetime come from the template's clock.
func TestClock(t *testing.T) {
	tmpl, err := Parse("clock", "{{ strftime_now('%d %B %Y') }}|{{ datetime }}", Options{Now: referenceClock})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render([]Message{{"user", "x"}}, false)
	if want := "30 November 2026|Nov 30 2026 09:15:00 GMT"; err != nil || got != want {
		t.Errorf("rendered %q, %v; want %q", got, err, want)
	}
}
