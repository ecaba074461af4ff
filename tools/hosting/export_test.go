package hosting

import "time"

// SetKeyGap shortens the key set's refetch gap, for tests of rotation.
func SetKeyGap(o *OAuth, d time.Duration) { o.keys.mu.Lock(); o.keys.gap = d; o.keys.mu.Unlock() }

// KeyReads is how many times o read the issuer's keys.
func KeyReads(o *OAuth) int { return o.keys.Reads() }
