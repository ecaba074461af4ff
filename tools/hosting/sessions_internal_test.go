package hosting

import "testing"

// TestSessionCapOwners: by default a loopback address is not capped, any
// other address and any OAuth caller are, and ending a session frees a
// place.
func TestSessionCapOwners(t *testing.T) {
	c := newSessionCap(2)
	c.exemptLoopback = true
	for _, owner := range []string{"addr 127.0.0.1", "addr 203.0.113.9", "caller 3:bot|ada"} {
		o := &ownerSessions{cap: c, owner: owner}
		var ids []string
		for range 5 {
			ids = append(ids, o.Generate())
		}
		want := 2
		if owner == "addr 127.0.0.1" {
			want = 5
		}
		if got := c.Open(owner); got != want {
			t.Errorf("%s holds %d sessions, want %d", owner, got, want)
		}
		if ended, err := o.Validate(ids[0]); owner != "addr 127.0.0.1" && (!ended || err != nil) {
			t.Errorf("%s: the first session should have ended (ended %v, err %v)", owner, ended, err)
		}
		o.Terminate(ids[4])
		if got := c.Open(owner); got != want-1 {
			t.Errorf("%s: after a DELETE %d sessions, want %d", owner, got, want-1)
		}
	}
	if _, err := (&ownerSessions{cap: c}).Validate("mcp-session-unknown"); err == nil {
		t.Error("an unknown session is refused")
	}
}
