package quantize

import (
	"fmt"
	"strings"

	"zhi/tensor"
)

// FileType is a quantization mix: the tensor type most weights get, and the
// rules that give some of them another. Its value is the reference's
// llama_ftype, the number a quantized file stores in general.file_type.
type FileType uint32

// The mixes zhi makes. The gaps are mixes of the reference that need an
// importance matrix or tensor types zhi does not implement.
const (
	F32    FileType = 0
	F16    FileType = 1
	Q4_0   FileType = 2
	Q4_1   FileType = 3
	Q8_0   FileType = 7
	Q5_0   FileType = 8
	Q5_1   FileType = 9
	Q2_K   FileType = 10
	Q3_K_S FileType = 11
	Q3_K_M FileType = 12
	Q3_K_L FileType = 13
	Q4_K_S FileType = 14
	Q4_K_M FileType = 15
	Q5_K_S FileType = 16
	Q5_K_M FileType = 17
	Q6_K   FileType = 18
	IQ4_NL FileType = 25
	IQ4_XS FileType = 30
	BF16   FileType = 32
)

type fileTypeInfo struct {
	ft   FileType
	name string
	base tensor.Type // the type of the weights no rule singles out
}

// fileTypes lists the mixes in the order help text shows them: smallest
// first, then the float types.
var fileTypes = []fileTypeInfo{
	{Q2_K, "Q2_K", tensor.Q2_K},
	{Q3_K_S, "Q3_K_S", tensor.Q3_K},
	{Q3_K_M, "Q3_K_M", tensor.Q3_K},
	{Q3_K_L, "Q3_K_L", tensor.Q3_K},
	{IQ4_XS, "IQ4_XS", tensor.IQ4_XS},
	{IQ4_NL, "IQ4_NL", tensor.IQ4_NL},
	{Q4_0, "Q4_0", tensor.Q4_0},
	{Q4_1, "Q4_1", tensor.Q4_1},
	{Q4_K_S, "Q4_K_S", tensor.Q4_K},
	{Q4_K_M, "Q4_K_M", tensor.Q4_K},
	{Q5_0, "Q5_0", tensor.Q5_0},
	{Q5_1, "Q5_1", tensor.Q5_1},
	{Q5_K_S, "Q5_K_S", tensor.Q5_K},
	{Q5_K_M, "Q5_K_M", tensor.Q5_K},
	{Q6_K, "Q6_K", tensor.Q6_K},
	{Q8_0, "Q8_0", tensor.Q8_0},
	{F16, "F16", tensor.F16},
	{BF16, "BF16", tensor.BF16},
	{F32, "F32", tensor.F32},
}

// aliases are the short names the reference's quantize tool also accepts.
var aliases = map[string]FileType{"Q3_K": Q3_K_M, "Q4_K": Q4_K_M, "Q5_K": Q5_K_M}

func lookup(ft FileType) (fileTypeInfo, bool) {
	for _, info := range fileTypes {
		if info.ft == ft {
			return info, true
		}
	}
	return fileTypeInfo{}, false
}

// String returns the mix's name, such as "Q4_K_M".
func (ft FileType) String() string {
	if info, ok := lookup(ft); ok {
		return info.name
	}
	return fmt.Sprintf("FileType(%d)", uint32(ft))
}

// Valid reports whether zhi can make files of this mix.
func (ft FileType) Valid() bool {
	_, ok := lookup(ft)
	return ok
}

// Base returns the tensor type of the weights that no rule of the mix
// singles out, or an error for a mix zhi cannot make.
func (ft FileType) Base() (tensor.Type, error) {
	info, ok := lookup(ft)
	if !ok {
		return 0, fmt.Errorf("quantize: unknown file type %d", uint32(ft))
	}
	return info.base, nil
}

// FileTypes returns every mix zhi can make.
func FileTypes() []FileType {
	fts := make([]FileType, len(fileTypes))
	for i, info := range fileTypes {
		fts[i] = info.ft
	}
	return fts
}

// ParseFileType returns the mix with the given name, in any case. Q3_K, Q4_K
// and Q5_K stand for their _M mixes, as in the reference's quantize tool.
func ParseFileType(name string) (FileType, error) {
	upper := strings.ToUpper(name)
	for _, info := range fileTypes {
		if info.name == upper {
			return info.ft, nil
		}
	}
	if ft, ok := aliases[upper]; ok {
		return ft, nil
	}
	names := make([]string, len(fileTypes))
	for i, info := range fileTypes {
		names[i] = info.name
	}
	return 0, fmt.Errorf("unknown quantization type %q (valid: %s)", name, strings.Join(names, ", "))
}
