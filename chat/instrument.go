package chat

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Names of the guard callables that instrument inserts (guard.go defines
// them). Templates may not use names with this prefix, so that they cannot
// replace a guard.
const (
	reservedPrefix = "__zhi"
	stepGuard      = "__zhi_step"  // {{ __zhi_step(n) }}: one loop iteration, n bytes long
	enterGuard     = "__zhi_enter" // {{ __zhi_enter(n, params...) }}: a macro or call block, n bytes long, starts
	leaveGuard     = "__zhi_leave" // {{ __zhi_leave() }}: a macro or call block ends
	condGuard      = "__zhi_cond"  // __zhi_cond(n, cond): a loop's filter, n bytes long
	storeGuard     = "__zhi_store" // __zhi_store(container, value): value is stored into container
	indexGuard     = "__zhi_index" // __zhi_index(i): i is a slice bound
	maxNesting     = 64            // blocks inside blocks, brackets inside brackets
	maxSourceBytes = 64 << 10      // real templates are under 20 KiB; some of the library's work grows with the square of this
	identifierRE   = `[A-Za-z_][A-Za-z0-9_]*`
	mutatorMethods = "append insert update"
)

var (
	setTarget  = regexp.MustCompile(`^` + identifierRE + `(\.` + identifierRE + `)?$`)
	identifier = regexp.MustCompile(`^` + identifierRE + `$`)
)

// insertion is text to insert into the template source before byte at.
type insertion struct {
	at   int
	text string
}

// instrument returns src with guard calls inserted:
//
//   - {{ __zhi_step(n) }} at the start of every loop body, __zhi_cond(n, c)
//     around every loop filter c, and {{ __zhi_enter(n, params...) }} /
//     {{ __zhi_leave() }} around every macro and call block body, which
//     bound the work and the recursion depth: n is the length of the body
//     (with the header, for a macro's default values), which bounds the
//     work of one pass through it, loops and calls inside aside;
//   - __zhi_store(c, v) around every value v that a statement stores
//     into a container c ({% set c.x = v %}, c.append(v), c.insert(i, v),
//     c.update(v)) and __zhi_store(none, v) around every {% set x = v %},
//     which, like __zhi_enter for parameters, refuse cyclic and too deeply
//     nested values;
//   - __zhi_index(i) around every slice bound, which refuses bounds so
//     large that the library's slicing loop would run for ever.
//
// Inserted expression tags carry no trim markers, and the library's
// whitespace handling (trim markers, lstrip_blocks, trim_blocks) only acts
// on text segments, skipping over other tags, so the insertions change
// nothing in the output. instrument also refuses what it cannot guard.
func instrument(src string) (string, error) {
	if len(src) > maxSourceBytes {
		return "", fmt.Errorf("template is %d bytes, more than the %d allowed", len(src), maxSourceBytes)
	}
	segs, err := scanSegments(src)
	if err != nil {
		return "", err
	}
	in := instrumenter{src: src}
	var blocks []block
	inRaw := false
	for _, s := range segs {
		if s.kind == textSegment || s.kind == commentSegment {
			continue
		}
		kw := ""
		if s.kind == stmtSegment {
			kw = keyword(src[s.inner:s.innerEnd])
		}
		if inRaw {
			if kw == "endraw" {
				inRaw = false
				blocks = blocks[:len(blocks)-1]
			}
			continue
		}
		if strings.HasPrefix(kw, "end") && len(blocks) > 0 {
			in.weigh(blocks[len(blocks)-1], s.start)
			blocks = blocks[:len(blocks)-1]
		}
		guard := len(in.ins) // where segment puts a for, macro or call guard
		if err := in.segment(s, kw); err != nil {
			return "", err
		}
		switch kw {
		case "for":
			blocks = append(blocks, block{guard: guard, body: s.end})
		case "macro", "call":
			blocks = append(blocks, block{guard: guard, body: s.start}) // parameter defaults run on each call
		case "if", "filter", "raw", "generation":
			blocks = append(blocks, block{guard: -1})
		case "set":
			if !strings.Contains(src[s.inner:s.innerEnd], "=") {
				blocks = append(blocks, block{guard: -1}) // {% set x %}...{% endset %}
			}
		}
		if len(blocks) > maxNesting {
			return "", fmt.Errorf("blocks nested more than %d deep", maxNesting)
		}
		inRaw = kw == "raw"
	}
	for _, b := range blocks {
		in.weigh(b, len(src)) // unclosed: the library will refuse it
	}
	return in.result(), nil
}

// block is a block statement being instrumented: its body starts at byte
// body, and in.ins[guard] is its step or enter guard, whose weight is
// known at the block's end (-1: none).
type block struct {
	guard int
	body  int
}

// weigh sets the weight of b's guard now that its body is known to end
// at byte end.
func (in *instrumenter) weigh(b block, end int) {
	if b.guard >= 0 {
		in.ins[b.guard].text = fmt.Sprintf(in.ins[b.guard].text, end-b.body)
	}
}

// instrumenter collects the insertions for one template.
type instrumenter struct {
	src  string
	ins  []insertion
	toks []token // the tag being instrumented
}

func (in *instrumenter) insert(at int, text string) {
	in.ins = append(in.ins, insertion{at, text})
}

// wrap encloses toks[from:to] in a call of fn, with extra arguments first.
func (in *instrumenter) wrap(from, to int, fn, extra string) {
	in.insert(in.toks[from].pos, fn+"("+extra)
	in.insert(in.toks[to-1].end, ")")
}

// result returns the source with the insertions made; insertions at the
// same place keep the order they were made in, outermost first.
func (in *instrumenter) result() string {
	sort.SliceStable(in.ins, func(i, j int) bool { return in.ins[i].at < in.ins[j].at })
	var b strings.Builder
	last := 0
	for _, x := range in.ins {
		b.WriteString(in.src[last:x.at])
		b.WriteString(x.text)
		last = x.at
	}
	b.WriteString(in.src[last:])
	return b.String()
}

// segment instruments one tag; kw is a statement's keyword.
func (in *instrumenter) segment(s segment, kw string) error {
	start := s.inner
	if s.kind == stmtSegment {
		start = strings.Index(in.src[s.inner:s.innerEnd], kw) + s.inner + len(kw)
	}
	in.toks = tokenize(in.src, start, s.innerEnd)
	switch kw {
	case "for":
		in.insert(s.end, "{{ "+stepGuard+"(%d) }}")
		in.loopFilter()
	case "macro", "call":
		names, err := parameters(kw, in.src[start:s.innerEnd])
		if err != nil {
			return err
		}
		in.insert(s.end, "{{ "+enterGuard+"(%d"+strings.Join(append([]string{""}, names...), ", ")+") }}")
	case "endmacro", "endcall":
		in.insert(s.start, "{{ "+leaveGuard+"() }}")
	case "set":
		if err := in.set(s, start); err != nil {
			return err
		}
	}
	n := len(in.ins)
	if err := in.expression(0, len(in.toks)); err != nil {
		return err
	}
	if (kw == "macro" || kw == "call" || kw == "filter") && len(in.ins) > n {
		// The library splits these headers with plain string operations
		// that an inserted call could confuse.
		return fmt.Errorf("a %s statement may not slice or change values", kw)
	}
	return nil
}

// loopFilter guards the condition of "for x in xs if cond", which runs for
// every item, before the loop body's guard. It finds the keywords as the
// library does: the first "in", "if" and "recursive" outside brackets.
func (in *instrumenter) loopFilter() {
	inAt, cond, end := -1, -1, len(in.toks)
	depth := 0
	for i, t := range in.toks {
		if t.kind == punctToken {
			switch t.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			}
			continue
		}
		if depth != 0 || t.kind != nameToken {
			continue
		}
		switch {
		case t.text == "in" && inAt < 0:
			inAt = i
		case inAt < 0 || end < len(in.toks):
		case t.text == "recursive":
			end = i
		case t.text == "if" && cond < 0:
			cond = i + 1
		}
	}
	if cond >= 0 && cond < end {
		weight := in.toks[end-1].end - in.toks[cond].pos
		in.wrap(cond, end, condGuard, fmt.Sprintf("%d, ", weight))
	}
}

// parameters returns the names a macro or call block binds its arguments
// to, read from its header as the library reads them.
func parameters(kw, header string) ([]string, error) {
	header = strings.TrimSpace(header)
	var list string
	switch {
	case kw == "macro":
		_, list, _ = strings.Cut(header, "(")
		list = strings.TrimSuffix(list, ")")
	case strings.HasPrefix(header, "("):
		list, _, _ = strings.Cut(header[1:], ")")
	}
	var names []string
	for part := range strings.SplitSeq(list, ",") {
		name, _, _ := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !identifier.MatchString(name) || isLiteral(name) {
			return nil, fmt.Errorf("cannot check the %s parameter %q", kw, name)
		}
		names = append(names, name)
	}
	return names, nil
}

func isLiteral(name string) bool {
	switch name {
	case "none", "None", "null", "true", "True", "false", "False":
		return true
	}
	return false
}

// set guards {% set target = value %}: the value is checked before the
// library stores it, into the namespace for "ns.x = value".
func (in *instrumenter) set(s segment, start int) error {
	content := in.src[start:s.innerEnd]
	eq := strings.IndexByte(content, '=')
	if eq < 0 {
		return nil // {% set x %}...{% endset %} stores a string
	}
	target := strings.TrimSpace(content[:eq])
	if !setTarget.MatchString(target) {
		return fmt.Errorf("cannot assign to %q", target)
	}
	container := "none"
	if ns, _, ok := strings.Cut(target, "."); ok {
		container = ns
	}
	first := sort.Search(len(in.toks), func(i int) bool { return in.toks[i].pos > start+eq })
	if first < len(in.toks) {
		in.wrap(first, len(in.toks), storeGuard, container+", ")
	}
	return nil
}

// expression instruments the tokens toks[from:to] of an expression.
func (in *instrumenter) expression(from, to int) error {
	match, err := in.brackets(from, to)
	if err != nil {
		return err
	}
	for i := from; i < to; i++ {
		t := in.toks[i]
		switch {
		case t.kind == nameToken && strings.HasPrefix(t.text, reservedPrefix):
			return fmt.Errorf("the name %q is reserved", t.text)
		case t.kind == punctToken && t.text == "[":
			in.slice(i, match[i])
		case t.kind == punctToken && t.text == "." && i+1 < to && isMutator(in.toks[i+1]):
			if err := in.mutation(i, to, match); err != nil {
				return err
			}
		}
	}
	return nil
}

// brackets returns, for each opening bracket in toks[from:to], the index of
// its closing one, and checks the nesting depth.
func (in *instrumenter) brackets(from, to int) (map[int]int, error) {
	match := map[int]int{}
	var open []int
	for i := from; i < to; i++ {
		switch in.toks[i].text {
		case "(", "[", "{":
			if in.toks[i].kind != punctToken {
				continue
			}
			open = append(open, i)
			if len(open) > maxNesting {
				return nil, fmt.Errorf("brackets nested more than %d deep", maxNesting)
			}
		case ")", "]", "}":
			if in.toks[i].kind != punctToken {
				continue
			}
			if len(open) == 0 || !pairs(in.toks[open[len(open)-1]].text, in.toks[i].text) {
				return nil, fmt.Errorf("unbalanced %q at byte %d", in.toks[i].text, in.toks[i].pos)
			}
			match[open[len(open)-1]] = i
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		return nil, fmt.Errorf("unclosed %q at byte %d", in.toks[open[0]].text, in.toks[open[0]].pos)
	}
	return match, nil
}

func pairs(open, close string) bool {
	return open == "(" && close == ")" || open == "[" && close == "]" || open == "{" && close == "}"
}

// slice wraps the bounds of the bracket toks[open:close+1] when it is a
// slice, that is when it holds a colon outside inner brackets.
func (in *instrumenter) slice(open, close int) {
	parts := in.split(open+1, close, ":")
	if len(parts) < 2 {
		return
	}
	for _, p := range parts {
		if p[0] < p[1] {
			in.wrap(p[0], p[1], indexGuard, "")
		}
	}
}

// split returns the [from, to) token ranges of toks[from:to] separated by
// sep outside brackets.
func (in *instrumenter) split(from, to int, sep string) [][2]int {
	var parts [][2]int
	depth, start := 0, from
	for i := from; i < to; i++ {
		t := in.toks[i]
		if t.kind != punctToken {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case sep:
			if depth == 0 {
				parts = append(parts, [2]int{start, i})
				start = i + 1
			}
		}
	}
	return append(parts, [2]int{start, to})
}

func isMutator(t token) bool {
	return t.kind == nameToken && strings.Contains(" "+mutatorMethods+" ", " "+t.text+" ")
}

// mutation guards the method call whose dot is toks[dot]: recv.append(v),
// recv.insert(i, v) or recv.update(v) become recv.append(__zhi_store(recv,
// v)) and so on. The receiver is evaluated twice, so it must be free of
// side effects: a name followed by attributes and constant subscripts.
func (in *instrumenter) mutation(dot, to int, match map[int]int) error {
	method := in.toks[dot+1].text
	if dot+2 >= to || in.toks[dot+2].text != "(" || in.toks[dot+2].kind != punctToken {
		return fmt.Errorf("the method %s may only be called directly", method)
	}
	recv, err := in.receiver(dot)
	if err != nil {
		return err
	}
	args := in.split(dot+3, match[dot+2], ",")
	for _, a := range args {
		if a[1]-a[0] >= 2 && in.toks[a[0]].kind == nameToken && in.toks[a[0]+1].text == "=" {
			return fmt.Errorf("%s takes no keyword arguments", method)
		}
	}
	value := 0
	if method == "insert" {
		value = 1
	}
	if len(args) != value+1 {
		return fmt.Errorf("%s takes %d arguments", method, value+1)
	}
	if a := args[value]; a[0] < a[1] {
		in.wrap(a[0], a[1], storeGuard, in.src[in.toks[recv].pos:in.toks[dot-1].end]+", ")
	}
	return nil
}

// receiver returns the index of the first token of the receiver that ends
// before toks[dot]: name ( "." name | "[" constant "]" )*.
func (in *instrumenter) receiver(dot int) (int, error) {
	i := dot - 1
	for i >= 0 {
		t := in.toks[i]
		switch {
		case t.kind == nameToken && (i == 0 || in.toks[i-1].text != "."):
			if i > 0 && (in.toks[i-1].text == "|" || in.toks[i-1].text == "is") {
				return 0, fmt.Errorf("cannot change the result of a filter or test")
			}
			return i, nil
		case t.kind == nameToken || t.kind == numberToken:
			i -= 2 // the name and its dot
		case t.text == "]" && t.kind == punctToken && i >= 2 && in.toks[i-2].text == "[" &&
			(in.toks[i-1].kind == stringToken || in.toks[i-1].kind == numberToken):
			i -= 3
		default:
			return 0, fmt.Errorf("cannot change a value computed at byte %d in place", t.pos)
		}
	}
	return 0, fmt.Errorf("a method call without a receiver")
}
