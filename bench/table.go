package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// column is one column of llama-bench's markdown table: a negative width
// aligns left, a positive one right.
type column struct {
	title string
	width int
	value func(*Result) string
}

var columns = []column{
	{"model", -30, func(r *Result) string { return r.ModelType }},
	{"size", 10, func(r *Result) string { return sizeString(r.ModelSize) }},
	{"params", 10, func(r *Result) string { return paramsString(r.ModelNParams) }},
	{"backend", -10, func(r *Result) string { return r.Backends }},
	{"threads", 7, func(r *Result) string { return strconv.Itoa(r.NThreads) }},
	{"test", 15, (*Result).Test},
	{"t/s", 20, func(r *Result) string { return fmt.Sprintf("%.2f ± %.2f", r.AvgTs, r.StddevTs) }},
}

// WriteTableHeader writes the title and rule lines of llama-bench's
// markdown table.
func WriteTableHeader(w io.Writer) error {
	var title, rule strings.Builder
	for _, c := range columns {
		fmt.Fprintf(&title, "| %*s ", c.width, c.title)
		end := "-"
		if c.width > 0 {
			end = ":"
		}
		fmt.Fprintf(&rule, "| %s%s ", strings.Repeat("-", abs(c.width)-1), end)
	}
	_, err := fmt.Fprintf(w, "%s|\n%s|\n", title.String(), rule.String())
	return err
}

// WriteTableRow writes one result as a row of the table.
func WriteTableRow(w io.Writer, r *Result) error {
	var row strings.Builder
	for _, c := range columns {
		fmt.Fprintf(&row, "| %*s ", c.width, c.value(r))
	}
	_, err := fmt.Fprintf(w, "%s|\n", row.String())
	return err
}

func abs(n int) int { return max(n, -n) }

// sizeString writes a byte count as llama-bench does: MiB below a GiB.
func sizeString(n uint64) string {
	if n < 1<<30 {
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

// paramsString writes a parameter count as llama-bench does: M below a
// billion.
func paramsString(n uint64) string {
	if n < 1e9 {
		return fmt.Sprintf("%.2f M", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f B", float64(n)/1e9)
}
