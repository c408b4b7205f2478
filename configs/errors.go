package configs

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a topology file.
type Error struct {
	File string
	Pos  Pos
	Path string // the object and field, e.g. "ports[0] (vm1): fixed_ips[0]"; may be empty
	Msg  string
}

// Error formats the problem as FILE:LINE:COL: PATH: MSG.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteByte(':')
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a file, sorted by line, then column.
// Parse and Load return it as their error.
type ErrorList []*Error

// Error joins the errors, one a line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sortDedup sorts by position (stable for errors at one position) and drops
// exact repeats.
func (l ErrorList) sortDedup() ErrorList {
	slices.SortStableFunc(l, func(a, b *Error) int {
		switch {
		case a.Pos.less(b.Pos):
			return -1
		case b.Pos.less(a.Pos):
			return 1
		}
		return 0
	})
	return slices.CompactFunc(l, func(a, b *Error) bool { return *a == *b })
}

// errs collects errors of one file.
type errs struct {
	file string
	list ErrorList
	// atPos and underPath index the errors for reported and reportedUnder:
	// every position with an error, every path with an error and every
	// prefix of such a path that ends before a ": ".
	atPos     map[Pos]bool
	underPath map[string]bool
}

func (e *errs) add(pos Pos, path, msg string) {
	e.list = append(e.list, &Error{File: e.file, Pos: pos, Path: path, Msg: msg})
	if e.atPos == nil {
		e.atPos, e.underPath = map[Pos]bool{}, map[string]bool{}
	}
	e.atPos[pos] = true
	e.underPath[path] = true
	for i := 0; i+1 < len(path); i++ {
		if path[i] == ':' && path[i+1] == ' ' {
			e.underPath[path[:i]] = true
		}
	}
}

func (e *errs) errorf(pos Pos, path, format string, args ...any) {
	e.add(pos, path, fmt.Sprintf(format, args...))
}

// at reports a problem with a field of an object. A field that is not in
// the file (a default is at fault) is reported on the object.
func (e *errs) at(s *Source, field, format string, args ...any) {
	path := s.Path
	if s.At(field) != s.Pos || s.Has(field) {
		path = s.FieldPath(field)
	}
	e.add(s.At(field), path, fmt.Sprintf(format, args...))
}

// on reports a problem with a whole object.
func (e *errs) on(s *Source, format string, args ...any) {
	e.add(s.Pos, s.Path, fmt.Sprintf(format, args...))
}

// reported reports whether an error was already given at pos: checks that
// depend on a bad value use it to stay quiet.
func (e *errs) reported(pos Pos) bool { return e.atPos[pos] }

// reportedUnder reports whether an error was already given about the object
// at path or one of its fields.
func (e *errs) reportedUnder(path string) bool { return e.underPath[path] }

// yamlLine matches the "yaml: line N: problem" errors of go.yaml.in/yaml/v3.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a YAML parser error into an Error. The parser reports a
// line but no column; the column is then 1.
func syntaxError(file string, err error) *Error {
	msg := err.Error()
	pos := Pos{Line: 1, Col: 1}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			pos.Line = n
		}
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &Error{File: file, Pos: pos, Msg: "invalid YAML: " + msg}
}
