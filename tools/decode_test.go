package tools

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMissingArgumentHintsAreWhole: a hint is never cut after "e.g." and
// never empty when the argument has no description.
func TestMissingArgumentHintsAreWhole(t *testing.T) {
	in, _ := schemaOf[createReportParams]()
	err := decodeArgs(map[string]any{"report_type": "CON_AFFOR_01", "user_id": "u1", "from_date": "2026-01-01"}, nil, in, &createReportParams{})
	assert.ErrorContains(t, err, `missing required argument "title": e.g. 'Ada Lovelace affordability 2026-03'.`)
	in, _ = schemaOf[userIDParam]()
	err = decodeArgs(map[string]any{}, nil, in, &userIDParam{})
	assert.ErrorContains(t, err, `missing required argument "user_id" (an id has only letters`)
}

// TestRawArgumentsDecodeAsTheMapDoes: reading a call's arguments straight
// from its JSON gives what the checked map gives, numbers Go's ints refuse
// and nulls included, and refuses what the map refuses.
func TestRawArgumentsDecodeAsTheMapDoes(t *testing.T) {
	in, _ := schemaOf[listTransactionsParams]()
	for _, raw := range []string{
		`{"user_id":"u-1","limit":100}`,
		`{"user_id":"u-1","limit":1.0}`,
		`{"user_id":"u-1","limit":1e2,"by_category":true}`,
		`{"user_id":"u-1","category":null,"from_date":"2026-01-01"}`,
		`{"user_id":"u-1","category":"caf\u00e9 <&>","status":"posted"}`,
		`{"user_id":"u-1","user_id":"u-2"}`,
		`{"user_id":"u-1","limit":1.5}`,
		`{"user_id":"u-1","limit":"100"}`,
		`{"user_id":"u-1","Limit":100}`,
	} {
		var args map[string]any
		if !assert.NoError(t, json.Unmarshal([]byte(raw), &args), raw) {
			continue
		}
		var viaMap, viaRaw listTransactionsParams
		errMap := decodeArgs(args, nil, in, &viaMap)
		errRaw := decodeArgs(args, json.RawMessage(raw), in, &viaRaw)
		assert.Equal(t, errMap, errRaw, raw)
		assert.Equal(t, viaMap, viaRaw, raw)
	}
}
