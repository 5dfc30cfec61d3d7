//go:build !amd64

package tensor

// Without assembly kernels, SoftmaxExp, SwiGLU, Scale and Max run their Go
// twins.

func softmaxExpRegs(x []float32, m float32) float64 { return softmaxExpRegsGeneric(x, m) }
func swigluRegs(gate, up []float32)                 { swigluRegsGeneric(gate, up) }
func scale(x []float32, s float32)                  { scaleGeneric(x, s) }
func maxLanes(x []float32) float32                  { return maxLanesGeneric(x) }
