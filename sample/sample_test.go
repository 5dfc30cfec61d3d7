package sample

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var negInf = float32(math.Inf(-1))

// logProbs returns ln(p) for each p, logits whose softmax is exactly p when
// p sums to 1.
func logProbs(p ...float64) []float32 {
	out := make([]float32, len(p))
	for i, v := range p {
		out[i] = float32(math.Log(v))
	}
	return out
}

// ids returns the ids of c, sorted, to compare survivor sets.
func ids(c []Candidate) []int32 {
	out := make([]int32, len(c))
	for i, x := range c {
		out[i] = x.ID
	}
	slices.Sort(out)
	return out
}

// randomLogits returns n deterministic pseudo-random logits in [-10, 10).
func randomLogits(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.Float64()*20 - 10)
	}
	return out
}

func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name   string
		logits []float32
		want   int32
	}{
		{"empty", nil, -1},
		{"single", []float32{-3}, 0},
		{"middle", []float32{1, 5, 2}, 1},
		{"ties take the first", []float32{1, 5, 2, 5, 5}, 1},
		{"last", []float32{-1, -2, 0}, 2},
		{"NaN first is skipped", []float32{nan, -7, -8}, 1},
		{"NaN later is skipped", []float32{1, nan, 0}, 0},
		{"all NaN", []float32{nan, nan}, 0},
		{"all -Inf", []float32{negInf, negInf}, 0},
		{"+Inf wins", []float32{1, float32(math.Inf(1)), 3}, 1},
	}
	for _, tt := range tests {
		if got := Argmax(tt.logits); got != tt.want {
			t.Errorf("%s: Argmax(%v) = %d, want %d", tt.name, tt.logits, got, tt.want)
		}
	}
}

func TestGreedyIsArgmax(t *testing.T) {
	s := New(Params{}) // the zero value is greedy
	for seed := range uint64(20) {
		logits := randomLogits(1000, seed)
		// Force a tie for the max at a later index.
		m := Argmax(logits)
		logits[999] = logits[m]
		history := []int32{m, m, 3, 4}
		if got := s.Sample(logits, history); got != m {
			t.Fatalf("seed %d: greedy Sample = %d, want Argmax %d", seed, got, m)
		}
	}
	// Negative temperature is greedy too, whatever the filters say.
	neg := New(Params{Temperature: -1, TopK: 3, TopP: 0.5, MinP: 0.2, Seed: 9})
	logits := []float32{0.5, 2, 2, 1}
	for range 10 {
		if got := neg.Sample(logits, nil); got != 1 {
			t.Fatalf("temperature -1: Sample = %d, want 1", got)
		}
	}
}

func TestGreedyUsesPenalizedLogits(t *testing.T) {
	s := New(Params{RepeatPenalty: 2, RepeatLastN: -1})
	logits := []float32{3, 2, 1}
	if got := s.Sample(logits, []int32{0}); got != 1 {
		t.Errorf("Sample after token 0 repeated = %d, want 1 (3/2 < 2)", got)
	}
	if got := s.Sample(logits, nil); got != 0 {
		t.Errorf("Sample with no history = %d, want 0", got)
	}
}

func TestPenalties(t *testing.T) {
	logits := []float32{2, -2, 1, 0.5, 0}
	tests := []struct {
		name    string
		p       Params
		history []int32
		want    []float32
	}{
		{
			name:    "repeat divides positive, multiplies negative",
			p:       Params{RepeatPenalty: 2, RepeatLastN: -1},
			history: []int32{0, 1, 0, 3, 4},
			want:    []float32{1, -4, 1, 0.25, 0},
		},
		{
			name:    "frequency and presence subtract count*freq + presence",
			p:       Params{FrequencyPenalty: 0.5, PresencePenalty: 0.25, RepeatLastN: -1},
			history: []int32{0, 1, 0, 3, 0},
			want:    []float32{2 - 1.5 - 0.25, -2 - 0.5 - 0.25, 1, 0.5 - 0.75, 0},
		},
		{
			name:    "repeat then frequency",
			p:       Params{RepeatPenalty: 4, FrequencyPenalty: 1, RepeatLastN: -1},
			history: []int32{0, 0},
			want:    []float32{0.5 - 2, -2, 1, 0.5, 0},
		},
		{
			name:    "only the last N tokens count",
			p:       Params{FrequencyPenalty: 1, RepeatLastN: 2},
			history: []int32{2, 2, 2, 0, 3},
			want:    []float32{1, -2, 1, -0.5, 0},
		},
		{
			name:    "ids outside the vocabulary are ignored",
			p:       Params{PresencePenalty: 1, RepeatLastN: -1},
			history: []int32{-1, 5, 1 << 30, 2},
			want:    []float32{2, -2, 0, 0.5, 0},
		},
	}
	for _, tt := range tests {
		s := New(tt.p)
		if err := tt.p.Validate(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		original := slices.Clone(logits)
		got := s.penalize(logits, tt.history)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: penalized %v, want %v", tt.name, got, tt.want)
		}
		if !slices.Equal(logits, original) {
			t.Fatalf("%s: penalize modified its input", tt.name)
		}
		// The counts must be reset for the next call.
		if again := s.penalize(logits, tt.history); !slices.Equal(again, tt.want) {
			t.Errorf("%s: second call gave %v, want %v", tt.name, again, tt.want)
		}
	}
}

func TestPenaltiesOff(t *testing.T) {
	logits := []float32{2, 1}
	history := []int32{0, 0, 0}
	for _, p := range []Params{
		{RepeatPenalty: 2, FrequencyPenalty: 1, RepeatLastN: 0},
		{RepeatPenalty: 1, RepeatLastN: 64},
		{RepeatPenalty: 0, RepeatLastN: 64},
	} {
		if p.penalizes() {
			t.Errorf("%+v: penalizes() = true, want false", p)
		}
		if got := New(p).Sample(logits, history); got != 0 {
			t.Errorf("%+v: Sample = %d, want 0 (no penalty)", p, got)
		}
	}
}

func TestTopK(t *testing.T) {
	logits := []float32{1, 5, 3, 5, 2, negInf}
	tests := []struct {
		k    int
		want []int32
	}{
		{1, []int32{1}},
		{2, []int32{1, 3}},
		{3, []int32{1, 2, 3}},
		{6, []int32{0, 1, 2, 3, 4, 5}},
		{100, []int32{0, 1, 2, 3, 4, 5}},
		{0, []int32{0, 1, 2, 3, 4, 5}},
		{-3, []int32{0, 1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		s := New(Params{Temperature: 1, TopK: tt.k})
		if got := ids(s.filter(logits)); !slices.Equal(got, tt.want) {
			t.Errorf("top_k %d: survivors %v, want %v", tt.k, got, tt.want)
		}
	}
	// A tie at the cut keeps the lower id.
	s := New(Params{Temperature: 1, TopK: 2})
	if got := ids(s.filter([]float32{1, 4, 1, 1, 0})); !slices.Equal(got, []int32{0, 1}) {
		t.Errorf("top_k tie: survivors %v, want [0 1]", got)
	}
}

func TestTopP(t *testing.T) {
	// Ids in scrambled order so that the filter has to sort.
	logits := logProbs(0.15, 0.5, 0.05, 0.3) // ids by probability: 1, 3, 0, 2
	tests := []struct {
		p    float32
		want []int32
	}{
		{0.1, []int32{1}}, // always at least one token
		{0.5, []int32{1}},
		{0.75, []int32{1, 3}},
		{0.9, []int32{0, 1, 3}},
		{0.99, []int32{0, 1, 2, 3}},
		{1, []int32{0, 1, 2, 3}}, // off
		{0, []int32{0, 1, 2, 3}}, // off
	}
	for _, tt := range tests {
		s := New(Params{Temperature: 1, TopP: tt.p})
		if got := ids(s.filter(logits)); !slices.Equal(got, tt.want) {
			t.Errorf("top_p %v: survivors %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestMinP(t *testing.T) {
	logits := logProbs(0.15, 0.5, 0.05, 0.3)
	tests := []struct {
		p    float32
		want []int32
	}{
		{0.05, []int32{0, 1, 2, 3}},
		{0.2, []int32{0, 1, 3}}, // floor 0.1
		{0.5, []int32{1, 3}},    // floor 0.25
		{0.7, []int32{1}},       // floor 0.35
		{1, []int32{1}},
		{0, []int32{0, 1, 2, 3}}, // off
	}
	for _, tt := range tests {
		s := New(Params{Temperature: 1, MinP: tt.p})
		if got := ids(s.filter(logits)); !slices.Equal(got, tt.want) {
			t.Errorf("min_p %v: survivors %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestFilterOrder(t *testing.T) {
	logits := logProbs(0.4, 0.3, 0.2, 0.1)
	// top_p sees the distribution renormalized over the top_k survivors:
	// 0.4/0.7 = 0.57 already reaches 0.5, while over the whole vocabulary
	// 0.4 would not.
	s := New(Params{Temperature: 1, TopK: 2, TopP: 0.5})
	if got := ids(s.filter(logits)); !slices.Equal(got, []int32{0}) {
		t.Errorf("top_k 2 then top_p 0.5: survivors %v, want [0]", got)
	}
	// min_p acts before temperature: a low temperature sharpens the final
	// distribution but does not change which tokens pass min_p.
	for _, temp := range []float32{0.1, 1, 5} {
		s := New(Params{Temperature: temp, MinP: 0.45})
		if got := ids(s.filter(logits)); !slices.Equal(got, []int32{0, 1, 2}) {
			t.Errorf("temperature %v, min_p 0.45: survivors %v, want [0 1 2]", temp, got)
		}
	}
}

func TestTemperatureScalesLogits(t *testing.T) {
	logits := []float32{2, -1, 0.5}
	s := New(Params{Temperature: 0.5})
	got := s.filter(logits)
	for _, c := range got {
		if want := logits[c.ID] / 0.5; c.Logit != want {
			t.Errorf("token %d: logit %v after temperature 0.5, want %v", c.ID, c.Logit, want)
		}
	}
	if len(got) != len(logits) {
		t.Errorf("temperature dropped tokens: %d survivors, want %d", len(got), len(logits))
	}
}

func TestReproducible(t *testing.T) {
	logits := randomLogits(5000, 7)
	p := Defaults(42)
	p.Temperature = 1.5 // flatter, so the sequence actually varies
	draws := func(p Params) []int32 {
		s := New(p)
		history := []int32{1, 2, 3}
		for range 1000 {
			history = append(history, s.Sample(logits, history))
		}
		return history[3:]
	}
	a, b := draws(p), draws(p)
	if !slices.Equal(a, b) {
		t.Fatal("two samplers with the same seed drew different sequences")
	}
	p.Seed = 43
	c := draws(p)
	if slices.Equal(a, c) {
		t.Fatal("seeds 42 and 43 drew the same 1000 tokens")
	}
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(a)))); distinct < 5 {
		t.Fatalf("only %d distinct tokens in 1000 draws; the test distribution is too peaked", distinct)
	}
}

// TestGoldenSequence pins the exact stream for a fixed seed, so that a
// change of PRNG or of the draw would show up, and so would a platform
// difference.
func TestGoldenSequence(t *testing.T) {
	logits := make([]float32, 64)
	for i := range logits {
		logits[i] = float32(i%17) / 4 // exact in float32 on every platform
	}
	s := New(Params{Temperature: 1, TopK: 20, TopP: 0.9, MinP: 0.05, Seed: 1234})
	got := make([]int32, 16)
	for i := range got {
		got[i] = s.Sample(logits, nil)
	}
	want := []int32{48, 14, 63, 50, 14, 33, 32, 49, 16, 13, 31, 46, 13, 30, 50, 16}
	if !slices.Equal(got, want) {
		t.Errorf("seed 1234 drew %v, want %v", got, want)
	}
}

func TestFrequenciesMatchFilteredSoftmax(t *testing.T) {
	// Ids scrambled; probabilities 0.3 0.25 0.2 0.1 0.08 0.04 0.02 0.01.
	probs := map[int32]float64{5: 0.3, 2: 0.25, 7: 0.2, 0: 0.1, 3: 0.08, 6: 0.04, 1: 0.02, 4: 0.01}
	logits := make([]float32, len(probs))
	for id, p := range probs {
		logits[id] = float32(math.Log(p))
	}
	const temp = 0.7
	s := New(Params{Temperature: temp, TopK: 6, TopP: 0.9, MinP: 0.3, Seed: 2024})
	// top_k 6 drops 0.02 and 0.01; top_p 0.9 over the renormalized six
	// drops 0.04; min_p 0.3 (floor 0.09) drops 0.08.
	survivors := []int32{0, 2, 5, 7}
	if got := ids(s.filter(logits)); !slices.Equal(got, survivors) {
		t.Fatalf("survivors %v, want %v", got, survivors)
	}
	want := make(map[int32]float64)
	var total float64
	for _, id := range survivors {
		want[id] = math.Pow(probs[id], 1/temp)
		total += want[id]
	}
	const n = 200000
	counts := make(map[int32]int)
	for range n {
		counts[s.Sample(logits, nil)]++
	}
	var chi2 float64
	for id, c := range counts {
		expected, ok := want[id]
		if !ok {
			t.Fatalf("drew filtered-out token %d (%d times)", id, c)
		}
		e := n * expected / total
		chi2 += (float64(c) - e) * (float64(c) - e) / e
	}
	// 3 degrees of freedom: P(chi2 > 20) is about 2e-4. The seed is fixed,
	// so this either always passes or always fails.
	if chi2 > 20 {
		t.Errorf("chi-square %.2f over %d draws; counts %v, expected proportions %v (total %v)", chi2, n, counts, want, total)
	}
}

func TestNoAllocationPerSample(t *testing.T) {
	logits := randomLogits(32000, 3)
	history := make([]int32, 200)
	for i := range history {
		history[i] = int32(i * 37 % 32000)
	}
	withPenalties := Defaults(1)
	withPenalties.RepeatPenalty = 1.1
	withPenalties.FrequencyPenalty = 0.1
	withPenalties.PresencePenalty = 0.1
	noTopK := withPenalties
	noTopK.TopK = 0
	for name, p := range map[string]Params{"defaults": Defaults(1), "penalties": withPenalties, "no top_k": noTopK} {
		s := New(p)
		s.Sample(logits, history) // warm-up: the buffers grow here
		allocs := testing.AllocsPerRun(20, func() { s.Sample(logits, history) })
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Sample, want 0", name, allocs)
		}
	}
}

func TestSampleEdgeCases(t *testing.T) {
	s := New(Defaults(5))
	if got := s.Sample(nil, nil); got != -1 {
		t.Errorf("Sample(nil) = %d, want -1", got)
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name    string
		logits  []float32
		allowed []int32
	}{
		{"single token", []float32{3}, []int32{0}},
		{"NaN never chosen", []float32{nan, 0, nan, 0.1}, []int32{1, 3}},
		{"all -Inf", []float32{negInf, negInf, negInf}, []int32{0, 1, 2}},
		{"+Inf dominates", []float32{5, inf, 5, inf}, []int32{1, 3}},
		{"-Inf never chosen", []float32{negInf, 0, negInf, 0}, []int32{1, 3}},
	}
	for _, tt := range tests {
		for range 50 {
			got := s.Sample(tt.logits, nil)
			if !slices.Contains(tt.allowed, got) {
				t.Fatalf("%s: Sample(%v) = %d, want one of %v", tt.name, tt.logits, got, tt.allowed)
			}
		}
	}
}

func TestSampleDoesNotModifyLogits(t *testing.T) {
	logits := randomLogits(300, 11)
	original := slices.Clone(logits)
	p := Defaults(3)
	p.RepeatPenalty = 1.3
	p.FrequencyPenalty = 0.2
	s := New(p)
	for range 10 {
		s.Sample(logits, []int32{1, 2, 3, 1})
	}
	if !slices.Equal(logits, original) {
		t.Fatal("Sample modified its logits")
	}
}

func TestTop(t *testing.T) {
	logits := randomLogits(2000, 5)
	logits[17], logits[1500] = 12, 12 // a tie at the top: lower id first
	got := Top(logits, 7)
	// Reference: a full sort of all candidates.
	all := make([]Candidate, len(logits))
	for i, v := range logits {
		all[i] = Candidate{ID: int32(i), Logit: v}
	}
	slices.SortFunc(all, compareBest)
	var total float64
	for _, v := range logits {
		total += math.Exp(float64(v))
	}
	if len(got) != 7 {
		t.Fatalf("Top returned %d candidates, want 7", len(got))
	}
	if got[0].ID != 17 || got[1].ID != 1500 {
		t.Errorf("tie order: first ids %d, %d, want 17, 1500", got[0].ID, got[1].ID)
	}
	var sum float64
	for i, c := range got {
		if c.ID != all[i].ID || c.Logit != all[i].Logit {
			t.Errorf("Top[%d] = %+v, want id %d logit %v", i, c, all[i].ID, all[i].Logit)
		}
		want := math.Exp(float64(c.Logit)) / total
		if math.Abs(float64(c.Prob)-want) > 1e-6*want {
			t.Errorf("Top[%d].Prob = %v, want %v", i, c.Prob, want)
		}
		sum += float64(c.Prob)
	}
	if sum > 1+1e-6 {
		t.Errorf("Top probabilities sum to %v > 1", sum)
	}

	full := Top([]float32{1, 2, 3}, 10)
	if len(full) != 3 || full[0].ID != 2 || full[2].ID != 0 {
		t.Errorf("Top(k > n) = %+v, want all 3 tokens best first", full)
	}
	var fullSum float64
	for _, c := range full {
		fullSum += float64(c.Prob)
	}
	if math.Abs(fullSum-1) > 1e-6 {
		t.Errorf("Top over the whole vocabulary sums to %v, want 1", fullSum)
	}
	if got := Top(logits, 0); got != nil {
		t.Errorf("Top(k=0) = %v, want nil", got)
	}
	if got := Top(nil, 5); got != nil {
		t.Errorf("Top(nil) = %v, want nil", got)
	}
}

func TestLogSumExp(t *testing.T) {
	tests := []struct {
		name   string
		logits []float32
		want   float64
	}{
		{"large", []float32{1000, 1000}, 1000 + math.Ln2},
		{"very negative", []float32{-1000, -1000, -1000}, -1000 + math.Log(3)},
		{"mixed", []float32{1, 2}, math.Log(math.E + math.Exp(2))},
		{"-Inf ignored", []float32{negInf, 0}, 0},
		{"NaN counts as -Inf", []float32{float32(math.NaN()), 0}, 0},
		{"empty", nil, math.Inf(-1)},
		{"all -Inf", []float32{negInf}, math.Inf(-1)},
		{"+Inf", []float32{0, float32(math.Inf(1))}, math.Inf(1)},
	}
	for _, tt := range tests {
		if got := LogSumExp(tt.logits); !(got == tt.want || math.Abs(got-tt.want) < 1e-9) {
			t.Errorf("%s: LogSumExp = %v, want %v", tt.name, got, tt.want)
		}
	}
	// A big vocabulary of equal logits: float64 accumulation keeps
	// log(n) exact to ~1e-12.
	flat := make([]float32, 128256)
	for i := range flat {
		flat[i] = 88
	}
	if got, want := LogSumExp(flat), 88+math.Log(128256); math.Abs(got-want) > 1e-9 {
		t.Errorf("LogSumExp(128256 x 88) = %v, want %v", got, want)
	}
}

func TestDefaults(t *testing.T) {
	got := Defaults(99)
	want := Params{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1, RepeatLastN: 64, Seed: 99}
	if got != want {
		t.Errorf("Defaults(99) = %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Defaults fail validation: %v", err)
	}
	if err := (Params{}).Validate(); err != nil {
		t.Errorf("zero Params fail validation: %v", err)
	}
}

func TestValidate(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	ok := Defaults(1)
	tests := []struct {
		name   string
		modify func(*Params)
		want   string // substring of the error, "" for valid
	}{
		{"negative temperature is greedy", func(p *Params) { p.Temperature = -1 }, ""},
		{"top_p above 1 is off", func(p *Params) { p.TopP = 1.5 }, ""},
		{"negative top_k is off", func(p *Params) { p.TopK = -1 }, ""},
		{"negative frequency", func(p *Params) { p.FrequencyPenalty = -0.5 }, ""},
		{"last_n -1", func(p *Params) { p.RepeatLastN = -1 }, ""},
		{"NaN temperature", func(p *Params) { p.Temperature = nan }, "temperature"},
		{"Inf temperature", func(p *Params) { p.Temperature = inf }, "temperature"},
		{"negative top_p", func(p *Params) { p.TopP = -0.1 }, "top_p"},
		{"NaN top_p", func(p *Params) { p.TopP = nan }, "top_p"},
		{"negative min_p", func(p *Params) { p.MinP = -0.1 }, "min_p"},
		{"min_p above 1", func(p *Params) { p.MinP = 1.5 }, "min_p"},
		{"negative repeat", func(p *Params) { p.RepeatPenalty = -1 }, "repeat_penalty"},
		{"NaN frequency", func(p *Params) { p.FrequencyPenalty = nan }, "frequency_penalty"},
		{"Inf presence", func(p *Params) { p.PresencePenalty = -inf }, "presence_penalty"},
		{"last_n -2", func(p *Params) { p.RepeatLastN = -2 }, "repeat_last_n"},
	}
	for _, tt := range tests {
		p := ok
		tt.modify(&p)
		err := p.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.name, err)
		case tt.want != "" && err == nil:
			t.Errorf("%s: no error, want one mentioning %q", tt.name, tt.want)
		case tt.want != "" && !strings.Contains(err.Error(), tt.want):
			t.Errorf("%s: error %q does not mention %q", tt.name, err, tt.want)
		}
	}
	// Every problem is reported, not just the first.
	err := Params{TopP: -1, MinP: 2}.Validate()
	if err == nil || !strings.Contains(err.Error(), "top_p") || !strings.Contains(err.Error(), "min_p") {
		t.Errorf("two bad fields: error %v, want both named", err)
	}
}

func TestNewWithInvalidParamsIsGreedy(t *testing.T) {
	s := New(Params{Temperature: float32(math.NaN()), TopP: -1, Seed: 3})
	logits := []float32{0, 1, 0.9}
	for range 20 {
		if got := s.Sample(logits, nil); got != 1 {
			t.Fatalf("Sample = %d, want greedy 1", got)
		}
	}
}

func FuzzSample(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64}, float32(0.8), 40, float32(0.95), float32(0.05), float32(1.1), uint64(1))
	f.Add([]byte{0, 0, 192, 127, 0, 0, 128, 255, 0, 0, 128, 127}, float32(1), 0, float32(0.5), float32(0), float32(0), uint64(2))
	f.Add([]byte{1, 2, 3}, float32(0), -1, float32(1), float32(1), float32(2), uint64(3))
	f.Fuzz(func(t *testing.T, raw []byte, temp float32, topK int, topP, minP, repeat float32, seed uint64) {
		logits := make([]float32, len(raw)/4)
		for i := range logits {
			b := raw[4*i:]
			logits[i] = math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
		}
		history := make([]int32, len(raw))
		for i, b := range raw {
			history[i] = int32(b) - 8
		}
		p := Params{Temperature: temp, TopK: topK, TopP: topP, MinP: minP, RepeatPenalty: repeat,
			FrequencyPenalty: 0.5, PresencePenalty: 0.5, RepeatLastN: -1, Seed: seed}
		got := New(p).Sample(logits, history)
		if len(logits) == 0 {
			if got != -1 {
				t.Fatalf("Sample(empty) = %d, want -1", got)
			}
			return
		}
		if got < 0 || int(got) >= len(logits) {
			t.Fatalf("Sample = %d, outside [0, %d)", got, len(logits))
		}
	})
}

func BenchmarkSample(b *testing.B) {
	logits := randomLogits(128256, 1)
	history := make([]int32, 512)
	for i := range history {
		history[i] = int32(i * 251 % len(logits))
	}
	s := New(Defaults(1))
	b.ReportAllocs()
	for b.Loop() {
		s.Sample(logits, history)
	}
}
