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
	passWork       = 64       // the work of entering a loop or macro body, in bytes of template
	maxMacroDepth  = 100      // macro calls in progress
	maxValueDepth  = 100      // lists and dicts inside each other
	maxRange       = 100_000  // items of one range(), as Python's Jinja sandbox
	maxSliceBound  = 1 << 20  // the library loops from a slice's start to its stop
	maxOutputBytes = 16 << 20 // more than any model's context holds
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

// weight returns the body length a step or enter guard was called with.
func weight(args []jinja.Value) int {
	if len(args) == 1 && args[0].IsInt() && args[0].AsInt() >= 0 && args[0].AsInt() <= maxSourceBytes {
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
		return jinja.None(), g.charge(passWork + weight(args))
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
// that contains itself, and it must not be nested too deeply. Both would
// make the library recurse without end when printing or comparing it.
func (g *guard) store(container, v jinja.Value) error {
	var target any
	switch {
	case container.IsList():
		target = container.AsList()
	case container.IsDict():
		target = container.AsDict()
	}
	return g.check(v, target, map[any]bool{}, 1)
}

// check walks v, at nesting level depth, looking for target; seen holds
// the lists and dicts already checked.
func (g *guard) check(v jinja.Value, target any, seen map[any]bool, depth int) error {
	var key any
	var items []jinja.Value
	switch {
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
	if key == target {
		return errors.New("template stores a value inside itself")
	}
	if seen[key] {
		return nil
	}
	if depth >= maxValueDepth {
		return fmt.Errorf("template nests values more than %d deep", maxValueDepth)
	}
	if err := g.charge(1); err != nil {
		return err
	}
	for _, item := range items {
		if err := g.check(item, target, seen, depth+1); err != nil {
			return err
		}
	}
	seen[key] = true
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
