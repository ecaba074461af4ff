package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
)

// attemptOf is the audit's attempt id of a keyed create (as the server
// makes it: a digest of the tool and key).
func attemptOf(tool, key string) string {
	sum := sha256.Sum256([]byte(tool + "\x00" + key))
	return "k-" + hex.EncodeToString(sum[:8])
}

// report checks the day's invariants, prints the counts, and returns an
// error naming every check that failed.
func report(f *fleet, l *load, sim *basiqtest.Server, left int, log func(string, ...any)) error {
	var failed []string
	check := func(ok bool, format string, args ...any) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failed = append(failed, fmt.Sprintf(format, args...))
		}
		fmt.Printf("  %s %s\n", mark, fmt.Sprintf(format, args...))
	}
	lines, err := f.auditLines()
	if err != nil {
		return err
	}
	byAttempt := map[string][]map[string]any{}
	refreshedLines := 0
	for _, e := range lines {
		if a, _ := e["attempt"].(string); a != "" {
			byAttempt[a] = append(byAttempt[a], e)
		}
		if e["tool"] != "create_user" && e["decision"] == "refreshed" {
			refreshedLines++
		}
	}
	fmt.Println("\nWrites")
	made, once, twice, extra := 0, 0, 0, 0
	var odd []string
	for key, id := range l.settled {
		users := sim.UsersWithEmail(key + "@example.com")
		made += len(users)
		if len(users) != 1 || users[0] != id {
			extra++
		}
		created := 0
		for _, e := range byAttempt[attemptOf("create_user", key)] {
			if e["decision"] == "created" && e["userId"] == id {
				created++
			}
		}
		switch {
		case created == 1:
			once++
		case created > 1:
			twice++
		}
		if created != 1 && len(odd) < 5 {
			var ds []string
			for _, e := range byAttempt[attemptOf("create_user", key)] {
				ds = append(ds, fmt.Sprintf("%v(%v)", e["decision"], e["reason"]))
			}
			odd = append(odd, fmt.Sprintf("%s → %s: %v", key, id, ds))
		}
	}
	for _, o := range odd {
		fmt.Println("  key without exactly one outcome:", o)
	}
	check(left == 0, "every keyed create settled: %d settled, %d not", len(l.settled), left)
	check(extra == 0 && made == len(l.settled), "one customer at Basiq per key: %d keys, %d customers", len(l.settled), made)
	// Once, not at least once: a replica killed between appending a
	// create's line and marking its record written comes back on its own
	// audit file, reads the line there and only marks it.
	check(once == len(l.settled), "every customer's create has exactly one terminal audit outcome naming it: %d once, %d twice, of %d", once, twice, len(l.settled))

	fmt.Println("\nGuard invariants")
	total, customers, most := 0, map[string]bool{}, 0
	for _, c := range l.connections {
		n := sim.RefreshRequests(c[1])
		total += n
		most = max(most, n)
		if n > 0 {
			customers[c[0]] = true
		}
	}
	check(most <= 1, "no connection refreshed twice within the 1 h cooldown: at most %d", most)
	check(len(customers) <= 3, "no bulk refresh: %d customers refreshed (at most 3 in 10 minutes)", len(customers))
	check(refreshedLines == total, "every refresh Basiq received is audited once: %d at Basiq, %d audited", total, refreshedLines)

	fmt.Println("\nBack on its own")
	for i := range f.ports {
		ready := status(f.base(i) + "/readyz")
		health := healthOf(f.base(i))
		check(ready == http.StatusOK && health["basiq_breaker"] == "closed" && health["store_ok"] == true,
			"replica %d: ready %d, breaker %v, store ok %v", i, ready, health["basiq_breaker"], health["store_ok"])
		r := f.call(i, "create_user", createArgs(fmt.Sprintf("day-after-%d", i)))
		check(r.answered && !r.isError, "replica %d creates: %s", i, firstWords(r.text, 12))
	}
	allZero := true
	for _, c := range f.exits {
		allZero = allZero && c == 0
	}
	check(allZero, "every SIGTERM exit status 0: %v", f.exits)

	fmt.Println("\nTraffic")
	var names []string
	for k := range l.counts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Printf("  %6d  %s\n", l.counts[k], k)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d checks failed: %v", len(failed), failed)
	}
	log("every check passed")
	return nil
}

func healthOf(base string) map[string]any {
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var h map[string]any
	_ = json.Unmarshal(raw, &h)
	return h
}
