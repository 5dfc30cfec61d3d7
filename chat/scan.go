package chat

import (
	"fmt"
	"strings"
	"unicode"
)

// The jinja library has no limits of its own: a template can loop for
// ever, recurse until the Go stack overflows (a fatal error, not a panic)
// or build a cyclic value whose printing never ends. So Parse rewrites a
// template before compiling it, inserting calls to guards (guard.go) at the
// points where such work starts. To insert them without changing what the
// template renders, it splits the source exactly as the library does; this
// file does the splitting.

// segmentKind is the kind of a piece of template source.
type segmentKind int

const (
	textSegment    segmentKind = iota
	commentSegment             // {# ... #}
	exprSegment                // {{ ... }}
	stmtSegment                // {% ... %}
)

// segment is one piece of template source: text, or a tag with its
// delimiters at [start, end) and its content, trim markers excluded, at
// [inner, innerEnd).
type segment struct {
	kind            segmentKind
	start, end      int
	inner, innerEnd int
}

// scanSegments splits src into text and tags the way the library's scanner
// does: a tag opens with "{{", "{%" or "{#", an optional "-" follows the
// opener, quoted strings inside expression and statement tags may hold the
// closer, and "-" right before the closer is a trim marker.
func scanSegments(src string) ([]segment, error) {
	var segs []segment
	textStart := 0
	for i := 0; i < len(src); {
		if src[i] != '{' || i+1 >= len(src) {
			i++
			continue
		}
		var kind segmentKind
		var closer string
		switch src[i+1] {
		case '{':
			kind, closer = exprSegment, "}}"
		case '%':
			kind, closer = stmtSegment, "%}"
		case '#':
			kind, closer = commentSegment, "#}"
		default:
			i++
			continue
		}
		if i > textStart {
			segs = append(segs, segment{kind: textSegment, start: textStart, end: i, inner: textStart, innerEnd: i})
		}
		seg := segment{kind: kind, start: i}
		i += 2
		if i < len(src) && src[i] == '-' {
			i++
		}
		seg.inner = i
		found := false
		for i < len(src) && !found {
			c := src[i]
			switch {
			case kind != commentSegment && (c == '\'' || c == '"'):
				i = skipQuoted(src, i)
			case c == '-' && i+2 < len(src) && src[i+1] == closer[0] && src[i+2] == closer[1]:
				seg.innerEnd, i, found = i, i+3, true
			case i+1 < len(src) && c == closer[0] && src[i+1] == closer[1]:
				seg.innerEnd, i, found = i, i+2, true
			default:
				i++
			}
		}
		if !found {
			return nil, fmt.Errorf("unclosed tag at byte %d", seg.start)
		}
		seg.end = i
		segs = append(segs, seg)
		textStart = i
	}
	if textStart < len(src) {
		segs = append(segs, segment{kind: textSegment, start: textStart, end: len(src), inner: textStart, innerEnd: len(src)})
	}
	return segs, nil
}

// skipQuoted returns the index just past the string literal that starts
// with the quote at src[i]; a backslash escapes the next byte. An
// unterminated literal runs to the end of src.
func skipQuoted(src string, i int) int {
	quote := src[i]
	for i++; i < len(src) && src[i] != quote; i++ {
		if src[i] == '\\' && i+1 < len(src) {
			i++
		}
	}
	if i < len(src) {
		i++
	}
	return i
}

// keyword returns a statement's keyword: its first run of letters and
// underscores, as the library reads it.
func keyword(content string) string {
	content = strings.TrimSpace(content)
	for i, r := range content {
		if !unicode.IsLetter(r) && r != '_' {
			return content[:i]
		}
	}
	return content
}

// tokenKind is the kind of a token inside a tag.
type tokenKind int

const (
	nameToken tokenKind = iota
	numberToken
	stringToken
	punctToken // operators and brackets; text holds the operator
)

// token is one token of a tag's content, at [pos, end) in the template.
type token struct {
	kind     tokenKind
	text     string
	pos, end int
}

// tokenize splits src[from:to] into tokens as the library's expression
// lexer does, which skips characters it does not know.
func tokenize(src string, from, to int) []token {
	var toks []token
	for i := from; i < to; {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '\'' || c == '"':
			i = min(skipQuoted(src[:to], i), to)
			toks = append(toks, token{stringToken, src[start:i], start, i})
		case isDigit(c):
			i = skipNumber(src[:to], i)
			toks = append(toks, token{numberToken, src[start:i], start, i})
		case c == '_' || isLetter(c):
			for i < to && (src[i] == '_' || isLetter(src[i]) || isDigit(src[i])) {
				i++
			}
			toks = append(toks, token{nameToken, src[start:i], start, i})
		case i+1 < to && isTwoCharOp(src[i:i+2]):
			i += 2
			toks = append(toks, token{punctToken, src[start:i], start, i})
		case strings.IndexByte(",.:()[]{}|~+-*/%<>=", c) >= 0:
			i++
			toks = append(toks, token{punctToken, src[start:i], start, i})
		default:
			i++
		}
	}
	return toks
}

// skipNumber returns the index past the number literal at src[i]: digits,
// and a fraction with an optional exponent.
func skipNumber(src string, i int) int {
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
		for i++; i < len(src) && isDigit(src[i]); i++ {
		}
		if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
			i++
			if i < len(src) && (src[i] == '+' || src[i] == '-') {
				i++
			}
			for i < len(src) && isDigit(src[i]) {
				i++
			}
		}
	}
	return i
}

func isTwoCharOp(s string) bool {
	switch s {
	case "**", "//", "==", "!=", "<=", ">=":
		return true
	}
	return false
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
