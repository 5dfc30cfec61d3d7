package bench

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The table has llama-bench's columns and alignment.
func TestTable(t *testing.T) {
	var b strings.Builder
	if err := WriteTableHeader(&b); err != nil {
		t.Fatal(err)
	}
	rows := []*Result{
		{ModelType: "llama 1B Q4_K - Medium", ModelSize: 808 << 20, ModelNParams: 1235814432, Backends: "CPU",
			NThreads: 8, NPrompt: 512, AvgTs: 123.456, StddevTs: 1.234},
		{ModelType: "llama 8B Q8_0", ModelSize: 8 << 30, ModelNParams: 8030261312, Backends: "CPU",
			NThreads: 16, NGen: 128, AvgTs: 7.5, StddevTs: 0},
	}
	for _, r := range rows {
		if err := WriteTableRow(&b, r); err != nil {
			t.Fatal(err)
		}
	}
	want := strings.Join([]string{
		"| model                          |       size |     params | backend    | threads |            test |                  t/s |",
		"| ------------------------------ | ---------: | ---------: | ---------- | ------: | --------------: | -------------------: |",
		"| llama 1B Q4_K - Medium         | 808.00 MiB |     1.24 B | CPU        |       8 |           pp512 |        123.46 ± 1.23 |",
		"| llama 8B Q8_0                  |   8.00 GiB |     8.03 B | CPU        |      16 |           tg128 |          7.50 ± 0.00 |",
	}, "\n") + "\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	for _, l := range lines {
		if utf8.RuneCountInString(l) != utf8.RuneCountInString(lines[0]) {
			t.Errorf("line %q is not as wide as the header", l)
		}
	}
}

func TestParamsString(t *testing.T) {
	for n, want := range map[uint64]string{155976: "0.16 M", 494032768: "494.03 M", 1235814432: "1.24 B"} {
		if got := paramsString(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}
