package train

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// The loss curve is drawn by hand as SVG: axes with round-numbered ticks,
// the training loss of every step (faint) with its moving average, and the
// validation loss at each evaluation.

// plot geometry, in SVG user units.
const (
	plotW, plotH           = 800, 480
	plotLeft, plotRight    = 70, 20
	plotTop, plotBottom    = 40, 50
	plotInnerW, plotInnerH = plotW - plotLeft - plotRight, plotH - plotTop - plotBottom
)

// writePlot draws history's losses into an SVG file at path.
func writePlot(path string, history []Record) error {
	return writeBytesAtomic(path, plotSVG(history))
}

// plotSVG draws history's training and validation losses against the step.
func plotSVG(history []Record) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", plotW, plotH)
	title := "Loss (nats per token)"
	lastStep, lo, hi := 1, math.Inf(1), math.Inf(-1)
	for _, r := range history {
		if !math.IsNaN(r.ValLoss) {
			title = fmt.Sprintf("Loss (nats per token); validation %.3f, %.3f bits per byte, at step %d", r.ValLoss, r.ValBPB, r.Step)
		}
		lastStep = max(lastStep, r.Step)
		for _, v := range []float64{float64(r.Loss), r.ValLoss} {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if lo > hi { // nothing to draw yet
		lo, hi = 0, 1
	}
	yTicks := niceTicks(lo, hi, 6)
	lo, hi = min(lo, yTicks[0]), max(hi, yTicks[len(yTicks)-1])
	if hi == lo {
		hi = lo + 1
	}
	xTicks := niceTicks(0, float64(lastStep), 8)
	xMax := max(float64(lastStep), xTicks[len(xTicks)-1])
	x := func(step float64) float64 { return plotLeft + step/xMax*plotInnerW }
	y := func(loss float64) float64 { return plotTop + (hi-loss)/(hi-lo)*plotInnerH }

	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15">%s</text>`+"\n", plotLeft, title)

	// Grid, ticks and axis titles.
	for _, t := range yTicks {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>`+"\n", plotLeft, y(t), plotW-plotRight, y(t))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", plotLeft-6, y(t), tickLabel(t))
	}
	for _, t := range xTicks {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>`+"\n", x(t), plotTop, x(t), plotH-plotBottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(t), plotH-plotBottom+16, tickLabel(t))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>`+"\n", plotLeft, plotTop, plotInnerW, plotInnerH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">step</text>`+"\n", plotLeft+plotInnerW/2, plotH-12)

	// Curves: the training loss, its moving average, the validation loss.
	var steps, losses []float64
	var train, val []point
	for _, r := range history {
		if l := float64(r.Loss); !math.IsNaN(l) && !math.IsInf(l, 0) {
			steps, losses = append(steps, float64(r.Step)), append(losses, l)
			train = append(train, point{x(float64(r.Step)), y(l)})
		}
		if !math.IsNaN(r.ValLoss) && !math.IsInf(r.ValLoss, 0) {
			val = append(val, point{x(float64(r.Step)), y(r.ValLoss)})
		}
	}
	var smooth []point
	for i, l := range movingAverage(losses, len(losses)/40) {
		smooth = append(smooth, point{x(steps[i]), y(l)})
	}
	polyline(&b, train, `stroke="#1f77b4" stroke-opacity="0.3"`)
	polyline(&b, smooth, `stroke="#1f77b4" stroke-width="2"`)
	polyline(&b, val, `stroke="#d62728" stroke-width="2"`)
	for _, p := range val {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#d62728"/>`+"\n", p.x, p.y)
	}

	// Legend.
	lx, ly := plotW-plotRight-190, plotTop+16
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#1f77b4" stroke-width="2"/>`, lx, ly, lx+24, ly)
	fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">training (moving average)</text>`+"\n", lx+30, ly)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#d62728" stroke-width="2"/>`, lx, ly+18, lx+24, ly+18)
	fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">validation</text>`+"\n", lx+30, ly+18)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// movingAverage returns the mean of each value and the w on either side
// of it (as many as there are): centred, so that it does not lag.
func movingAverage(xs []float64, w int) []float64 {
	sums := make([]float64, len(xs)+1)
	for i, x := range xs {
		sums[i+1] = sums[i] + x
	}
	avg := make([]float64, len(xs))
	for i := range xs {
		lo, hi := max(0, i-w), min(len(xs), i+w+1)
		avg[i] = (sums[hi] - sums[lo]) / float64(hi-lo)
	}
	return avg
}

// point is a position in the picture.
type point struct{ x, y float64 }

// polyline draws a line through points with the given attributes.
func polyline(b *bytes.Buffer, points []point, attrs string) {
	if len(points) == 0 {
		return
	}
	b.WriteString(`<polyline fill="none" ` + attrs + ` points="`)
	for i, p := range points {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(b, "%.1f,%.1f", p.x, p.y)
	}
	b.WriteString("\"/>\n")
}

// niceTicks returns about n round values (1, 2 or 5 times a power of ten
// apart) from at most lo to at least hi.
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	step := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{2, 5, 10} {
		if step >= raw {
			break
		}
		step = math.Pow(10, math.Floor(math.Log10(raw))) * m
	}
	var ticks []float64
	for i := math.Floor(lo / step); i <= math.Ceil(hi/step); i++ {
		ticks = append(ticks, i*step)
	}
	return ticks
}

// tickLabel formats a tick value without float noise.
func tickLabel(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'g', -1, 64)
}
