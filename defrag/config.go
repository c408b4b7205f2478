package defrag

import "time"

// Config bounds a Table. A zero (or negative) field takes its default.
type Config struct {
	// Timeout is how long a datagram may wait for its missing fragments,
	// counted from its first fragment's arrival (Linux's ipfrag_time).
	// Default 30 s.
	Timeout time.Duration
	// MaxBytes bounds the bytes of fragment buffers the table owns, held
	// for datagrams or kept free for reuse, across all datagrams (Linux's
	// ipfrag_high_thresh). Default 4 MiB.
	MaxBytes int
	// MaxFragments bounds the fragments held for one datagram. Default 64.
	MaxFragments int
	// MaxDatagrams bounds the datagrams waiting at once. Default 1024.
	MaxDatagrams int
}

// Defaults applied by New for zero Config fields.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBytes     = 4 << 20
	DefaultMaxFragments = 64
	DefaultMaxDatagrams = 1024
)

// withDefaults returns c with every unset field at its default.
func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxFragments <= 0 {
		c.MaxFragments = DefaultMaxFragments
	}
	if c.MaxDatagrams <= 0 {
		c.MaxDatagrams = DefaultMaxDatagrams
	}
	return c
}
