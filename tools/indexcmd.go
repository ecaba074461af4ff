package tools

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// IndexCommand runs "basiq-mcp index add [FILE]": it adds customers to the
// support queue's index by Basiq user id, one a line (or the first column
// of a CSV; blank lines, # comments and a header are skipped), from FILE
// or standard input. Basiq's 3.0 API lists no users, so a deployment
// meets a customer only when it creates, reads or hears of them; a team
// with an existing book hands the index its ids once, and the background
// scan reads them at its pace. Nothing is asked of Basiq here, and a file
// with one unreadable id adds nothing.
func IndexCommand(d *Deps, rest []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(rest) < 1 || len(rest) > 2 || rest[0] != "add" {
		fmt.Fprintln(stderr, "usage: basiq-mcp index add [FILE]   (Basiq user ids, one a line; - or none: standard input)")
		return 2
	}
	if d.Users == nil {
		fmt.Fprintln(stderr, "basiq-mcp: this server keeps no guard store, so it has no customer index")
		return 1
	}
	in := stdin
	if len(rest) == 2 && rest[1] != "-" {
		f, err := os.Open(rest[1])
		if err != nil {
			fmt.Fprintln(stderr, "basiq-mcp:", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	ids, bad, err := readIDs(in)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp: reading the ids:", err)
		return 1
	}
	if len(bad) > 0 {
		fmt.Fprintf(stderr, "basiq-mcp: nothing was added: %d lines do not hold a Basiq user id (line %s)\n", len(bad), strings.Join(bad[:min(len(bad), 5)], ", "))
		return 2
	}
	added, err := d.Users.KnowAll(ids)
	if err != nil {
		fmt.Fprintf(stderr, "basiq-mcp: %d customers were added before the store failed (run the command again; it adds only the rest): %v\n", added, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s added to the index (%d already in it). The background scan reads them at its pace: four Basiq requests each, %s at 1 request a second.\n",
		customersWord(added), len(ids)-added, time.Duration(4*added)*time.Second)
	return 0
}

// readIDs reads one id a line, returning the line numbers that hold none.
func readIDs(in io.Reader) (ids, bad []string, err error) {
	seen := map[string]bool{}
	sc := bufio.NewScanner(in)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		field := line
		if i := strings.IndexAny(line, ",\t"); i >= 0 {
			field = line[:i]
		}
		field = strings.Trim(strings.TrimSpace(field), `"`)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case n == 1 && (strings.EqualFold(field, "id") || strings.EqualFold(field, "user_id") || strings.EqualFold(field, "userId")):
		case basiq.ValidateID("user id", field) != nil:
			bad = append(bad, fmt.Sprint(n))
		case !seen[strings.ToLower(field)]:
			seen[strings.ToLower(field)] = true
			ids = append(ids, field)
		}
	}
	return ids, bad, sc.Err()
}

func customersWord(n int) string {
	if n == 1 {
		return "1 customer"
	}
	return fmt.Sprintf("%d customers", n)
}
