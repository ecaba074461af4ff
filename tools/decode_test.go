package tools

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMissingArgumentHintsAreWhole: a hint is never cut after "e.g." and
// never empty when the argument has no description.
func TestMissingArgumentHintsAreWhole(t *testing.T) {
	in, _ := schemaOf[createReportParams]()
	err := decodeArgs(map[string]any{"report_type": "CON_AFFOR_01", "user_id": "u1", "from_date": "2026-01-01"}, in, &createReportParams{})
	assert.ErrorContains(t, err, `missing required argument "title": e.g. 'Ada Lovelace affordability 2026-03'.`)
	in, _ = schemaOf[userIDParam]()
	err = decodeArgs(map[string]any{}, in, &userIDParam{})
	assert.ErrorContains(t, err, `missing required argument "user_id" (an id has only letters`)
}
