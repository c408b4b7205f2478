package configs

import "neutrino/internal/suggest"

// didYouMean returns " (did you mean X?)" or "".
func didYouMean(word string, candidates []string) string { return suggest.DidYouMean(word, candidates) }
