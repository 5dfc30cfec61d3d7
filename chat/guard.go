package chat

import (
	"errors"
	"fmt"
	"math"

	"github.com/ardanlabs/jinja"
)

// Limits of one rendering. Real chat templates stay far below them: they
// loop over the messages and recurse into tool schemas a few levels deep.
const (
	maxWork        = 1 << 25  // see guard.work; about a second
	probeWork      = 1 << 20  // the work of Parse's probe renderings, which are small
	nodeWork       = 256      // the work of checking a list or dict stored into another, see guard.store
	passWork       = 64       // the work of entering a loop or macro body, in bytes of template
	maxMacroDepth  = 100      // macro calls in progress
	maxValueDepth  = 100      // lists and dicts inside each other
	maxRange       = 100_000  // items of one range(), as Python's Jinja sandbox
	maxSliceBound  = 1 << 20  // the library loops from a slice's start to its stop
	maxOutputBytes = 16 << 20 // more than any model's context holds
	maxValueBytes  = 16 << 20 // in a variable: text, and itemBytes per item of lists and dicts
	itemBytes      = 24       // the size of a jinja.Value
)

// guard is the state of one rendering's guards; instrument inserts the
// calls to them.
type guard struct {
	// work counts the bytes of template executed, one for each byte of a
	// loop or macro body each time it runs plus passWork, and one for each
	// item of a range() and each list or dict checked: a measure of the
	// time spent.
	work  int
	limit int   // of work; 0 means maxWork
	depth int   // macro calls in progress
	err   error // the first limit exceeded
}

// charge counts n units of work.
func (g *guard) charge(n int) error {
	if g.limit == 0 {
		g.limit = maxWork
	}
	g.work += n
	if g.work > g.limit && g.err == nil {
		g.err = fmt.Errorf("template does more than %d units of work", g.limit)
	}
	return g.err
}

// fail records err, unless a limit was exceeded before, and returns the
// first error.
func (g *guard) fail(err error) error {
	if g.err == nil {
		g.err = err
	}
	return g.err
}

// weight returns the body length a guard was called with.
func weight(args []jinja.Value) int {
	if len(args) > 0 && args[0].IsInt() && args[0].AsInt() >= 0 && args[0].AsInt() <= maxSourceBytes {
		return int(args[0].AsInt())
	}
	return maxSourceBytes
}

// values adds the guard callables to the rendering's variables, and range,
// which replaces the library's unbounded one.
func (g *guard) values(vars map[string]jinja.Value) {
	vars[stepGuard] = jinja.NewCallable(stepGuard, func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		return jinja.None(), g.charge(passWork + weight(args))
	})
	vars[enterGuard] = jinja.NewCallable(enterGuard, func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		g.depth++
		if g.depth > maxMacroDepth {
			return jinja.None(), g.fail(fmt.Errorf("macros call each other more than %d deep", maxMacroDepth))
		}
		if err := g.charge(passWork + weight(args)); err != nil {
			return jinja.None(), err
		}
		for _, param := range args[1:] { // a macro's parameters are variables too
			if err := g.store(jinja.None(), param); err != nil {
				return jinja.None(), g.fail(err)
			}
		}
		return jinja.None(), nil
	})
	vars[condGuard] = jinja.NewCallable(condGuard, func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		if len(args) != 2 {
			return jinja.None(), g.fail(errors.New("bad guard call"))
		}
		return args[1], g.charge(passWork + weight(args))
	})
	vars[leaveGuard] = jinja.NewCallable(leaveGuard, func([]jinja.Value, map[string]jinja.Value) (jinja.Value, error) {
		g.depth--
		return jinja.None(), nil
	})
	vars[storeGuard] = jinja.NewCallable(storeGuard, func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		if len(args) != 2 {
			return jinja.None(), g.fail(errors.New("bad guard call"))
		}
		if err := g.store(args[0], args[1]); err != nil {
			return jinja.None(), g.fail(err)
		}
		return args[1], nil
	})
	vars[indexGuard] = jinja.NewCallable(indexGuard, func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		// The library ignores errors of slice bounds, so a bad bound is
		// replaced with 0 and the error reported at the end.
		if len(args) != 1 {
			return jinja.NewInt(0), g.fail(errors.New("bad guard call"))
		}
		if err := sliceBound(args[0]); err != nil {
			return jinja.NewInt(0), g.fail(err)
		}
		return args[0], nil
	})
	vars["range"] = jinja.NewCallable("range", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		list, err := g.rangeList(args)
		if err != nil {
			return jinja.None(), g.fail(fmt.Errorf("range: %w", err))
		}
		return list, nil
	})
}

// store checks a value about to be stored into container (none for a
// variable): it must not contain the container, which would make a value
// that contains itself, and it must not be nested too deeply. Either would
// make the library recurse until the stack overflows when printing or
// comparing it. Nor may it be larger than maxValueBytes, which stops a
// loop that doubles a value before it takes all memory.
//
// The depth of a variable's value is checked, but storing into a container
// deepens whatever contains that container too, unseen. So such stores are
// charged nodeWork for each list and dict checked, each adding at most one
// level: with the work limited, so is the depth reached, to one the
// library's recursion survives (it does 500000 levels).
func (g *guard) store(container, v jinja.Value) error {
	w := walk{g: g, cost: 1, seen: map[any]bool{}}
	switch {
	case container.IsList():
		w.target, w.cost = container.AsList(), nodeWork
	case container.IsDict():
		w.target, w.cost = container.AsDict(), nodeWork
	}
	return w.value(v, 1)
}

// walk is one check of a stored value.
type walk struct {
	g      *guard
	target any          // the container the value goes into
	cost   int          // the work of checking one list or dict
	seen   map[any]bool // the lists and dicts checked
	size   int          // bytes of text and items seen
}

// value checks v, at nesting level depth.
func (w *walk) value(v jinja.Value, depth int) error {
	var key any
	var items []jinja.Value
	switch {
	case v.IsString():
		return w.grow(len(v.AsString()))
	case v.IsList():
		l := v.AsList()
		key, items = l, l.Items
	case v.IsDict():
		d := v.AsDict()
		key = d
		for _, k := range d.Keys {
			items = append(items, d.Data[k])
		}
	default:
		return nil
	}
	if key == w.target {
		return errors.New("template stores a value inside itself")
	}
	if w.seen[key] {
		return nil
	}
	if depth >= maxValueDepth {
		return fmt.Errorf("template nests values more than %d deep", maxValueDepth)
	}
	if err := w.g.charge(w.cost); err != nil {
		return err
	}
	if err := w.grow(itemBytes * len(items)); err != nil {
		return err
	}
	for _, item := range items {
		if err := w.value(item, depth+1); err != nil {
			return err
		}
	}
	w.seen[key] = true
	return nil
}

// grow counts n more bytes of the value.
func (w *walk) grow(n int) error {
	w.size += n
	if w.size > maxValueBytes {
		return fmt.Errorf("template stores a value of more than %d bytes", maxValueBytes)
	}
	return nil
}

// sliceBound refuses slice bounds the library would loop to for too long.
func sliceBound(v jinja.Value) error {
	if v.IsString() {
		return fmt.Errorf("slice bound %s is not a number", v)
	}
	n, err := integer(v)
	if err != nil {
		return err
	}
	if n > maxSliceBound || n < -maxSliceBound {
		return fmt.Errorf("slice bound %d is beyond ±%d", n, maxSliceBound)
	}
	return nil
}

// integer converts a number to an integer as the library does.
func integer(v jinja.Value) (int64, error) {
	switch {
	case v.IsInt():
		return v.AsInt(), nil
	case v.IsFloat():
		f := v.AsFloat()
		if math.IsNaN(f) || math.Abs(f) >= math.MaxInt64 {
			return 0, fmt.Errorf("%v is not a usable integer", f)
		}
		return int64(f), nil
	case v.IsBool():
		if v.AsBool() {
			return 1, nil
		}
		return 0, nil
	case v.IsNone() || v.IsUndefined():
		return 0, nil
	}
	return 0, fmt.Errorf("%s is not a number", v)
}

// rangeList is Python's range(stop), range(start, stop) and range(start,
// stop, step), refusing more than maxRange items.
func (g *guard) rangeList(args []jinja.Value) (jinja.Value, error) {
	if len(args) < 1 || len(args) > 3 {
		return jinja.None(), fmt.Errorf("takes 1 to 3 arguments, not %d", len(args))
	}
	bounds := [3]int64{0, 0, 1}
	first := 0
	if len(args) == 1 {
		first = 1
	}
	for i, a := range args {
		n, err := integer(a)
		if err != nil {
			return jinja.None(), err
		}
		bounds[first+i] = n
	}
	start, stop, step := bounds[0], bounds[1], bounds[2]
	var n uint64
	switch {
	case step == 0:
		return jinja.None(), errors.New("step must not be zero")
	case step > 0 && start < stop:
		n = (uint64(stop)-uint64(start)-1)/uint64(step) + 1
	case step < 0 && start > stop:
		n = (uint64(start)-uint64(stop)-1)/(-uint64(step)) + 1
	}
	if n > maxRange {
		return jinja.None(), fmt.Errorf("%d items, more than %d", n, maxRange)
	}
	if err := g.charge(int(n)); err != nil {
		return jinja.None(), err
	}
	items := make([]jinja.Value, n)
	for i := range items {
		items[i] = jinja.NewInt(start + int64(i)*step)
	}
	return jinja.NewList(items), nil
}
