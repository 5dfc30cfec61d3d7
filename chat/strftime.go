package chat

import (
	"strconv"
	"strings"
	"time"
)

// strftime formats t as Python's time.strftime does in the C locale, which
// chat templates call through strftime_now(format). "%-d" and the like
// drop the zero padding, as glibc does; unknown directives are kept as
// written.
func strftime(format string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		directive := i
		i++
		pad := true
		if format[i] == '-' && i+1 < len(format) {
			pad = false
			i++
		}
		num := func(n, width int) {
			s := strconv.Itoa(n)
			if pad {
				s = strings.Repeat("0", max(0, width-len(s))) + s
			}
			b.WriteString(s)
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		switch format[i] {
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'c':
			b.WriteString(strftime("%a %b %e %H:%M:%S %Y", t))
		case 'C':
			num(t.Year()/100, 2)
		case 'd':
			num(t.Day(), 2)
		case 'D', 'x':
			b.WriteString(strftime("%m/%d/%y", t))
		case 'e':
			if pad && t.Day() < 10 {
				b.WriteByte(' ')
			}
			num(t.Day(), 1)
		case 'f':
			num(t.Nanosecond()/1000, 6)
		case 'F':
			b.WriteString(strftime("%Y-%m-%d", t))
		case 'H':
			num(t.Hour(), 2)
		case 'I':
			num(hour12, 2)
		case 'j':
			num(t.YearDay(), 3)
		case 'm':
			num(int(t.Month()), 2)
		case 'M':
			num(t.Minute(), 2)
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'R':
			b.WriteString(strftime("%H:%M", t))
		case 'S':
			num(t.Second(), 2)
		case 'T', 'X':
			b.WriteString(strftime("%H:%M:%S", t))
		case 'u':
			num((int(t.Weekday())+6)%7+1, 1)
		case 'w':
			num(int(t.Weekday()), 1)
		case 'y':
			num(t.Year()%100, 2)
		case 'Y':
			num(t.Year(), 1)
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteString(format[directive : i+1])
		}
	}
	return b.String()
}
