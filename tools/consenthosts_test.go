package tools

import "testing"

// TestOnlyConsentHostsAreOffered: only Basiq's consent pages over https,
// or the simulator's own when the server runs on it, may be put before a
// human; look-alike hosts, other schemes and ports, and credentials in the
// URL never are.
func TestOnlyConsentHostsAreOffered(t *testing.T) {
	real := &call{Deps: &Deps{}}
	sim := &call{Deps: &Deps{SimulatorURL: "http://127.0.0.1:40123"}}
	for _, c := range []struct {
		link      string
		real, sim bool
	}{
		{"https://connect.basiq.io/7d3e9a10", true, true},
		{"https://consent.basiq.io/home?token=t", true, true},
		{"http://connect.basiq.io/7d3e9a10", false, false},
		{"https://connect.basiq.io:8443/x", false, false},
		{"https://connect.basiq.io.example.net/x", false, false},
		{"https://user:pw@connect.basiq.io/x", false, false},
		{"https://evil.example/connect.basiq.io", false, false},
		{"javascript:alert(1)", false, false},
		{"http://127.0.0.1:40123/consent/abc", false, true},
		{"http://127.0.0.1:40124/consent/abc", false, false},
		{"", false, false},
	} {
		if got := real.offerable(c.link); got != c.real {
			t.Errorf("real Basiq, %q: offerable %v, want %v", c.link, got, c.real)
		}
		if got := sim.offerable(c.link); got != c.sim {
			t.Errorf("simulator, %q: offerable %v, want %v", c.link, got, c.sim)
		}
	}
}
