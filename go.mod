module zhi

go 1.26.0

require (
	github.com/dlclark/regexp2/v2 v2.13.0
	github.com/spf13/pflag v1.1.0
)

require golang.org/x/sys v0.50.0
