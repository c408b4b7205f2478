package defrag

import "testing"

// TestOutcomeNames: every outcome has its own counter name.
func TestOutcomeNames(t *testing.T) {
	seen := map[string]Outcome{}
	for o := range NumOutcomes {
		name := o.String()
		if name == "" || name == "unknown" {
			t.Errorf("outcome %d has no name", o)
		}
		if prev, ok := seen[name]; ok {
			t.Errorf("outcomes %d and %d are both %q", prev, o, name)
		}
		seen[name] = o
	}
	if NumOutcomes.String() != "unknown" {
		t.Errorf("NumOutcomes is %q, want unknown", NumOutcomes.String())
	}
	if Held.String() != "held" || TableFull.String() != "table_full" {
		t.Errorf("names %q, %q", Held, TableFull)
	}
}
