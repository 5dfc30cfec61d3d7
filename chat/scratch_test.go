package chat

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/ardanlabs/jinja"
)

func TestScratchDeep(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("N"))
	v := jinja.NewList(nil)
	for i := 0; i < n; i++ {
		v = jinja.NewList([]jinja.Value{v})
	}
	src := os.Getenv("SRC")
	tm, _ := jinja.Compile(src)
	out, err := tm.RenderValues(map[string]jinja.Value{"x": v})
	fmt.Println(src, len(out), err)
}
