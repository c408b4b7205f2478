package configs

import (
	"strconv"
	"strings"
)

// Pos is a 1-based line and column in the topology file. The zero Pos means
// "no position" (objects made up by defaults).
type Pos struct {
	Line, Col int
}

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// less orders positions by line, then column.
func (p Pos) less(q Pos) bool {
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Source is where an object came from: embedded in every object of the
// schema so that later stages can point at the file.
type Source struct {
	// Pos is where the object starts (its first key, or the scalar).
	Pos Pos
	// Path names the object in errors, e.g. "ports[0] (vm1)" or
	// "networks[1] (demo-net): subnets[0] (demo-subnet)".
	Path string
	// Fields holds the position of each field's value, by field name; list
	// items of scalar lists are keyed "name[i]", e.g. "fixed_ips[1]".
	Fields map[string]Pos
}

// Has reports whether the field was given in the file.
func (s *Source) Has(field string) bool {
	_, ok := s.Fields[field]
	return ok
}

// At returns the position of a field's value: the field itself, else the
// list it is an item of ("fixed_ips[1]" -> "fixed_ips"), else the object.
func (s *Source) At(field string) Pos {
	if p, ok := s.Fields[field]; ok {
		return p
	}
	if i := strings.IndexByte(field, '['); i > 0 {
		if p, ok := s.Fields[field[:i]]; ok {
			return p
		}
	}
	return s.Pos
}

// FieldPath returns the error path of a field of the object.
func (s *Source) FieldPath(field string) string {
	return joinPath(s.Path, field)
}

func (s *Source) setField(field string, p Pos) {
	if s.Fields == nil {
		s.Fields = make(map[string]Pos)
	}
	s.Fields[field] = p
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}

// item returns "name[i]".
func item(name string, i int) string {
	return name + "[" + strconv.Itoa(i) + "]"
}
