package bench

import "zhi/quantize"

// fileTypeNames are the names llama.cpp gives file types (general.file_type)
// in a model's description, for the types zhi can run.
var fileTypeNames = map[quantize.FileType]string{
	quantize.F32:    "all F32",
	quantize.F16:    "F16",
	quantize.BF16:   "BF16",
	quantize.Q4_0:   "Q4_0",
	quantize.Q4_1:   "Q4_1",
	quantize.Q5_0:   "Q5_0",
	quantize.Q5_1:   "Q5_1",
	quantize.Q8_0:   "Q8_0",
	quantize.Q2_K:   "Q2_K - Medium",
	21:              "Q2_K - Small",
	quantize.Q3_K_S: "Q3_K - Small",
	quantize.Q3_K_M: "Q3_K - Medium",
	quantize.Q3_K_L: "Q3_K - Large",
	quantize.Q4_K_S: "Q4_K - Small",
	quantize.Q4_K_M: "Q4_K - Medium",
	quantize.Q5_K_S: "Q5_K - Small",
	quantize.Q5_K_M: "Q5_K - Medium",
	quantize.Q6_K:   "Q6_K",
	quantize.IQ4_NL: "IQ4_NL - 4.5 bpw",
	quantize.IQ4_XS: "IQ4_XS - 4.25 bpw",
}

// fileTypeName returns llama.cpp's name of a file type, such as
// "Q4_K - Medium".
func fileTypeName(ft quantize.FileType) string {
	if name, ok := fileTypeNames[ft]; ok {
		return name
	}
	return "unknown, may not work"
}
