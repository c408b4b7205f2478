package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// Load reads, decodes and validates a topology file. Problems in the file
// come back as an ErrorList; a file that can't be read as a plain error.
func Load(path string) (*Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a topology; name is the file name used in
// error positions. On any problem it returns a nil Topology and an ErrorList
// holding every problem, sorted by line and column.
func Parse(name string, data []byte) (*Topology, error) {
	e := &errs{file: name}
	t := parse(e, data)
	if len(e.list) > 0 {
		return nil, e.list.sortDedup()
	}
	return t, nil
}

// parse does the work of Parse, reporting into e.
func parse(e *errs, data []byte) *Topology {
	root, ok := document(e, data)
	if !ok {
		return nil
	}
	d := &decoder{errs: e}
	t := d.decodeTopology(root)
	if d.tooBig != nil {
		e.list = ErrorList{d.tooBig} // the one error that says why; the rest is noise
		return nil
	}
	if t == nil {
		return nil
	}
	validate(t, e)
	return t
}

// document parses the YAML and returns the root mapping of its one
// document, reporting syntax errors, an empty file, several documents, and a
// root that is not a mapping.
func document(e *errs, data []byte) (*yaml.Node, bool) {
	start := Pos{Line: 1, Col: 1}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			e.add(start, "", "the file is empty: a topology needs at least \"version: 1\"")
		} else {
			e.list = append(e.list, syntaxError(e.file, err))
		}
		return nil, false
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		e.add(posOf(&next), "", "the file holds more than one YAML document: a topology is one document")
		return nil, false
	case !errors.Is(err, io.EOF):
		e.list = append(e.list, syntaxError(e.file, err))
		return nil, false
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	switch {
	case root.Kind == yaml.DocumentNode || isNull(root):
		e.add(start, "", "the file is empty: a topology needs at least \"version: 1\"")
		return nil, false
	case root.Kind != yaml.MappingNode:
		e.errorf(posOf(root), "", "a topology is a mapping of sections (version, nodes, uplinks, networks, ports, routers, floating_ips, security_groups), got %s", describe(root))
		return nil, false
	}
	return root, true
}
