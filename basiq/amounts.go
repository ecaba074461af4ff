package basiq

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadAmount is returned by ParseAmount for anything that is not a plain
// decimal number with at most two fraction digits.
var ErrBadAmount = errors.New("basiq: not a decimal amount")

// ParseAmount converts a Basiq decimal string such as "-12.95" into cents,
// without going through floating point.
func ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:] // one sign at most
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 15 || hasFrac && (frac == "" || len(frac) > 2) {
		return 0, ErrBadAmount
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return 0, ErrBadAmount
	}
	f, err := strconv.ParseUint(frac, 10, 64)
	if err != nil {
		return 0, ErrBadAmount
	}
	cents := int64(w*100 + f)
	if neg {
		cents = -cents
	}
	return cents, nil
}

// FormatAmount writes cents as a decimal string with two fraction digits.
func FormatAmount(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
