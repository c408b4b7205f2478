package configs

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// maxVisits bounds the number of YAML values the decoder looks at, aliases
// expanded: an alias of an alias of a list may otherwise blow a small file up
// into billions of objects.
const maxVisits = 1_000_000

// decoder walks a yaml.Node tree by hand, checking each value's kind and
// type and remembering where every field was. It never stops at the first
// error.
type decoder struct {
	*errs
	visits int
	// tooBig is the error given when maxVisits is exceeded; decoding then
	// stops.
	tooBig *Error
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// deref follows aliases and counts the visit. It returns nil once the
// document is too big.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	if d.tooBig != nil {
		return nil
	}
	at := n
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			n = nil
			break
		}
		n = n.Alias
	}
	if n == nil {
		// The parser refuses unknown anchors; be safe anyway.
		d.errorf(posOf(at), "", "alias *%s refers to nothing", at.Value)
		return nil
	}
	d.visits++
	if d.visits > maxVisits {
		d.errorf(posOf(at), "", "the document is too large: with its aliases expanded it has more than %d values", maxVisits)
		d.tooBig = d.list[len(d.list)-1]
		return nil
	}
	return n
}

// describe says what a YAML value is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		switch tag := n.ShortTag(); tag {
		case "!!str":
			return fmt.Sprintf("string %q", v)
		case "!!int":
			return "integer " + v
		case "!!float":
			return "number " + v
		case "!!bool":
			return "boolean " + v
		case "!!null":
			return "null"
		default:
			return fmt.Sprintf("%s %q", tag, v)
		}
	}
	return "nothing"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// fieldSet is a mapping being decoded into one object: its fields by name,
// and the object's Source where positions go.
type fieldSet struct {
	d    *decoder
	src  *Source
	vals map[string]*yaml.Node // key -> value node (not dereferenced)
}

// object starts decoding a mapping node into src. label, when not "", is the
// field that names the object in paths ("name"): "ports[0]" becomes
// "ports[0] (vm1)". Unknown and duplicate keys are reported here. It returns
// nil (after reporting) when n is not a mapping.
func (d *decoder) object(n *yaml.Node, path, label string, src *Source, allowed []string) *fieldSet {
	src.Path = path
	src.Pos = posOf(n) // where it is used, when n is an alias
	if n = d.deref(n); n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(posOf(n), path, "expected a mapping with fields %s, got %s", strings.Join(allowed, ", "), describe(n))
		return nil
	}
	if l := labelOf(n, label); l != "" {
		path = fmt.Sprintf("%s (%s)", path, l)
		src.Path = path
	}
	f := &fieldSet{d: d, src: src, vals: make(map[string]*yaml.Node)}
	keys := make(map[string]*yaml.Node)
	var order []string // keys in file order, for a stable error order
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.deref(n.Content[i]), n.Content[i+1]
		if k == nil {
			return nil
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(posOf(k), path, "field names must be plain words, got %s", describe(k))
			continue
		}
		if first, dup := keys[k.Value]; dup {
			d.errorf(posOf(k), path, "duplicate field %q (first at line %d)", k.Value, first.Line)
			continue
		}
		keys[k.Value] = k
		order = append(order, k.Value)
		f.vals[k.Value] = v
	}
	// "<<: *anchor" merges fields not given explicitly.
	for _, m := range merges {
		order = f.merge(m, keys, order, 0)
	}
	for _, k := range order {
		kn := keys[k]
		if !containsString(allowed, k) {
			msg := fmt.Sprintf("unknown field %q", k)
			if s := didYouMean(k, allowed); s != "" {
				msg += s
			} else {
				msg += " (known fields: " + strings.Join(allowed, ", ") + ")"
			}
			d.add(posOf(kn), path, msg)
			delete(f.vals, k)
		}
	}
	for k, v := range f.vals {
		src.setField(k, posOf(v))
	}
	return f
}

// labelOf returns the text of the first label field of a mapping when it is
// a plain, non-empty scalar (not an alias: labels are for messages only).
func labelOf(n *yaml.Node, label string) string {
	if label == "" {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == label {
			if _, ok := scalarString(v); ok && v.Value != "" {
				return labelText(v.Value)
			}
			return ""
		}
	}
	return ""
}

// merge adds the fields of a merged mapping (or list of mappings) that are
// not already set.
func (f *fieldSet) merge(v *yaml.Node, keys map[string]*yaml.Node, order []string, depth int) []string {
	d := f.d
	at := v
	if v = d.deref(v); v == nil {
		return order
	}
	switch {
	case v.Kind == yaml.MappingNode && depth < 8:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := d.deref(v.Content[i])
			if k == nil {
				return order
			}
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				order = f.merge(v.Content[i+1], keys, order, depth+1)
				continue
			}
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if _, set := keys[k.Value]; !set {
				keys[k.Value] = at // report unknown merged keys at the "<<"
				order = append(order, k.Value)
				f.vals[k.Value] = v.Content[i+1]
			}
		}
	case v.Kind == yaml.SequenceNode && depth == 0:
		for _, e := range v.Content {
			order = f.merge(e, keys, order, depth+1)
		}
	default:
		d.errorf(posOf(at), f.src.Path, "<< must merge a mapping or a list of mappings, got %s", describe(v))
	}
	return order
}

// labelText keeps paths on one line and readable: a label with a control,
// invisible or other non-printable character is quoted.
func labelText(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// has reports whether the field is given (even as null).
func (f *fieldSet) has(key string) bool {
	_, ok := f.vals[key]
	return ok
}

// node returns the dereferenced value of a field, or nil when absent.
func (f *fieldSet) node(key string) *yaml.Node {
	v, ok := f.vals[key]
	if !ok {
		return nil
	}
	return f.d.deref(v)
}

func (f *fieldSet) path(key string) string { return f.src.FieldPath(key) }

// require reports each missing field.
func (f *fieldSet) require(keys ...string) {
	for _, k := range keys {
		if !f.has(k) {
			f.d.errorf(f.src.Pos, f.src.Path, "missing required field %q", k)
		}
	}
}

func (f *fieldSet) wrongType(key string, n *yaml.Node, want string) {
	f.d.errorf(posOf(n), f.path(key), "expected %s, got %s", want, describe(n))
}

// scalarString returns the text of a scalar usable as a string: quoted or
// plain strings, and numbers or dates written plainly (a name may be "100").
// Booleans, nulls, lists and mappings are refused.
func scalarString(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!timestamp":
		return n.Value, true
	}
	return "", false
}

// str returns a string field; ok is false when absent or wrong.
func (f *fieldSet) str(key string) (string, bool) {
	n := f.node(key)
	if n == nil {
		return "", false
	}
	s, ok := scalarString(n)
	if !ok {
		f.wrongType(key, n, "a string")
	}
	return s, ok
}

// name returns a required, non-empty name field.
func (f *fieldSet) name(key string) string {
	s, ok := f.str(key)
	if ok && strings.TrimSpace(s) == "" {
		f.d.errorf(f.src.At(key), f.path(key), "must not be empty")
	}
	return s
}

// integer returns an integer field; ok is false when absent or wrong.
func (f *fieldSet) integer(key string) (int, bool) {
	n := f.node(key)
	if n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		f.wrongType(key, n, "an integer")
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil || v > math.MaxInt32 || v < math.MinInt32 {
		f.d.errorf(posOf(n), f.path(key), "integer %s is out of range", n.Value)
		return 0, false
	}
	return int(v), true
}

// boolean returns a boolean field, def when absent or wrong.
func (f *fieldSet) boolean(key string, def bool) bool {
	n := f.node(key)
	if n == nil {
		return def
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		f.wrongType(key, n, "a boolean (true or false)")
		return def
	}
	return v
}

// list returns the items of a list field (not dereferenced); null and absent
// are empty.
func (f *fieldSet) list(key string) []*yaml.Node {
	n := f.node(key)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		f.wrongType(key, n, "a list")
		return nil
	}
	return n.Content
}

// strItem is one item of a list of strings.
type strItem struct {
	Value string
	Field string // "key[i]"
	OK    bool   // false for an item of the wrong type (reported)
}

// strList returns a list of strings, one item per list item so indexes stay
// aligned with the file, recording each item's position as "key[i]" in the
// object's Fields.
func (f *fieldSet) strList(key string) []strItem {
	var out []strItem
	for i, e := range f.list(key) {
		field := item(key, i)
		if e = f.d.deref(e); e == nil {
			return out
		}
		f.src.setField(field, posOf(e))
		s, ok := scalarString(e)
		if !ok {
			f.d.errorf(posOf(e), f.path(field), "expected a string, got %s", describe(e))
		}
		out = append(out, strItem{Value: s, Field: field, OK: ok})
	}
	return out
}

// objects decodes a list field whose items are mappings, calling fn with each
// item and its path. A null field is an empty list.
func (f *fieldSet) objects(key string, fn func(n *yaml.Node, path string)) {
	for i, e := range f.list(key) {
		if f.d.tooBig != nil {
			return
		}
		fn(e, f.path(item(key, i)))
	}
}

// sub returns the mapping value of a field, or nil when absent or null.
func (f *fieldSet) sub(key string) *yaml.Node {
	n := f.node(key)
	if n == nil || isNull(n) {
		return nil
	}
	return n
}
