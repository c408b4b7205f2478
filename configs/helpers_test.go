package configs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// doc joins lines into a YAML file, so that a case's line numbers are its
// argument positions.
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// errCase is a file and the exact errors it must give.
type errCase struct {
	name string
	yaml string
	want []string
}

// errLines returns the lines of a Parse error (nil for none), failing when
// the error is not an ErrorList.
func errLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, not an ErrorList: %v", err, err)
	}
	return strings.Split(list.Error(), "\n")
}

// numbered shows a file with line numbers, for failure messages.
func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		fmt.Fprintf(&b, "%3d| %s\n", i+1, l)
	}
	return b.String()
}

// pointed shows, for each error, the text at its position.
func pointed(err error, yaml string) string {
	var list ErrorList
	if !errors.As(err, &list) {
		return ""
	}
	lines := strings.Split(yaml, "\n")
	var b strings.Builder
	for _, e := range list {
		at := ""
		if l := e.Pos.Line - 1; l >= 0 && l < len(lines) && e.Pos.Col >= 1 && e.Pos.Col <= len(lines[l]) {
			at = lines[l][e.Pos.Col-1:]
		}
		fmt.Fprintf(&b, "  %s -> %q\n", e.Pos, at)
	}
	return b.String()
}

// runErrCases checks each case's exact errors. With CONFIGS_SHOW_GOT=1 a
// failing case also prints the errors it got as Go strings, to review and
// paste into want.
func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.yaml))
			if diff := cmp.Diff(tc.want, errLines(t, err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nfile:\n%s\nwhere the errors point:\n%s", diff, numbered(tc.yaml), pointed(err, tc.yaml))
				if os.Getenv("CONFIGS_SHOW_GOT") != "" {
					for _, l := range errLines(t, err) {
						fmt.Printf("\t\t\t\t%#v,\n", l)
					}
				}
			}
		})
	}
}

// mustParse parses a file that must be valid.
func mustParse(t *testing.T, yaml string) *Topology {
	t.Helper()
	top, err := Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse: %v\nfile:\n%s", err, numbered(yaml))
	}
	return top
}
