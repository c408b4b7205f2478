package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"networks", "ports", "routers", "domain-search", "ntp-server"}
	for _, tc := range []struct{ word, want string }{
		{"netwroks", "networks"}, // transposition
		{"Ports", "ports"},       // case only
		{"domain-serch", "domain-search"},
		{"ntp-servers", "ntp-server"},
		{"xyz", ""},   // nothing close
		{"route", ""}, // two edits on a short word: too far
	} {
		if got := Closest(tc.word, names); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
	if got := DidYouMean("prots", names); got != " (did you mean ports?)" {
		t.Errorf("DidYouMean = %q", got)
	}
}
