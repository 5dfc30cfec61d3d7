package train

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"testing"
)

// elements counts the elements of an XML document by name, failing the
// test if it is not well-formed.
func elements(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	counts := map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return counts
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			counts[s.Name.Local]++
		}
	}
}

func TestPlotSVG(t *testing.T) {
	nan := math.NaN()
	var history []Record
	for step := 1; step <= 50; step++ {
		r := Record{Step: step, Loss: float32(8 - 4*float64(step)/50), ValLoss: nan, ValBPB: nan}
		if step%10 == 0 {
			r.ValLoss = float64(r.Loss) + 0.2
		}
		history = append(history, r)
	}
	history[3].Loss = float32(math.Inf(1)) // a diverged step is left out, not drawn off the chart
	got := elements(t, plotSVG(history))
	if got["svg"] != 1 || got["polyline"] != 3 || got["circle"] != 5 {
		t.Errorf("elements %v: want one svg, three curves, five validation points", got)
	}
	if got := elements(t, plotSVG(nil)); got["svg"] != 1 || got["polyline"] != 0 {
		t.Errorf("empty plot: %v", got)
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []float64
	}{
		{3.7, 8.3, []float64{3, 4, 5, 6, 7, 8, 9}},
		{0, 1000, []float64{0, 200, 400, 600, 800, 1000}},
		{2, 2, []float64{2, 2.2, 2.4, 2.6, 2.8, 3}},
	} {
		got := niceTicks(c.lo, c.hi, 5)
		if len(got) != len(c.want) {
			t.Errorf("niceTicks(%g, %g) = %v, want %v", c.lo, c.hi, got, c.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-9 {
				t.Errorf("niceTicks(%g, %g) = %v, want %v", c.lo, c.hi, got, c.want)
				break
			}
		}
	}
}

func TestCSVRow(t *testing.T) {
	r := Record{Step: 3, Tokens: 384, LR: 0.001, Loss: 4.5, ValLoss: math.NaN(), ValBPB: math.NaN(), TokensPerSec: 1000.04, Elapsed: 1.5}
	if got, want := string(appendCSV(nil, r)), "3,384,0.001,4.5,,,1000.0,1.500\n"; got != want {
		t.Errorf("row %q, want %q", got, want)
	}
	r.ValLoss, r.ValBPB = 4.75, 2.125
	if got, want := string(appendCSV(nil, r)), "3,384,0.001,4.5,4.75,2.125,1000.0,1.500\n"; got != want {
		t.Errorf("row %q, want %q", got, want)
	}
}

func TestMovingAverage(t *testing.T) {
	got := movingAverage([]float64{1, 2, 3, 4, 8}, 1)
	want := []float64{1.5, 2, 3, 5, 6}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("movingAverage = %v, want %v", got, want)
		}
	}
	if got := movingAverage([]float64{3, 5}, 0); got[0] != 3 || got[1] != 5 {
		t.Errorf("a window of one value changed them: %v", got)
	}
}
