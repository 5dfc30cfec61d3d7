package tensor

// useAVX2 selects the amd64 assembly kernels (AVX2 with FMA and F16C). Every
// kernel has a pure-Go twin, used on other CPUs and when ZHI_NOASM is set,
// and a test that the two agree bit for bit: both follow the same summation
// order (lanes.go), so they must.
var useAVX2 = cpuHasAVX2()

// useAVX512 selects the 512-bit kernels where there are some (Q4_K, Q5_K
// and Q6_K, the Q8_0 tile, attention's F16 products), each bit-identical to
// its AVX2 kernel and Go twin.
var useAVX512 = cpuHasAVX512()
