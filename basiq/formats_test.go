package basiq_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimestampsInEveryDocumentedForm(t *testing.T) {
	want := time.Date(2024, 9, 25, 4, 15, 59, 0, time.UTC)
	for _, s := range []string{"2024-09-25T04:15:59Z", "2024-09-25T04:15:59.000Z", "2024-09-25T04:15:59", "2024-09-25T14:15:59+10:00", "2024-09-25 04:15:59"} {
		var v struct{ T basiq.Time }
		require.NoError(t, json.Unmarshal([]byte(`{"T":"`+s+`"}`), &v), s)
		assert.True(t, want.Equal(v.T.Time), s)
	}
	var v struct{ A, B, C basiq.Time }
	require.NoError(t, json.Unmarshal([]byte(`{"A":"2024-09-25","B":"","C":null}`), &v))
	assert.Equal(t, 25, v.A.Day())
	assert.True(t, v.B.IsZero() && v.C.IsZero())
	assert.Error(t, json.Unmarshal([]byte(`{"A":"yesterday"}`), &v))
	assert.Error(t, json.Unmarshal([]byte(`{"A":12}`), &v))
	out, _ := json.Marshal(struct{ T, Z basiq.Time }{T: basiq.Time{Time: want}})
	assert.JSONEq(t, `{"T":"2024-09-25T04:15:59Z","Z":null}`, string(out))
}

func TestAmountsStayDecimal(t *testing.T) {
	for s, cents := range map[string]int64{"-12.95": -1295, "356.50": 35650, "0": 0, "7": 700, "-0.5": -50, "1000000.01": 100000001} {
		got, err := basiq.ParseAmount(s)
		require.NoError(t, err, s)
		assert.Equal(t, cents, got, s)
	}
	for _, bad := range []string{"", "1.234", "1,000.00", "abc", "1.", "--1", "1e3"} {
		_, err := basiq.ParseAmount(bad)
		assert.ErrorIs(t, err, basiq.ErrBadAmount, bad)
	}
	assert.Equal(t, "-12.95", basiq.FormatAmount(-1295))
	assert.Equal(t, "0.05", basiq.FormatAmount(5))
}

func TestValidateID(t *testing.T) {
	for _, ok := range []string{"3f1c7a52-6b0e-4c8e-9d1a-2a4b5c6d7e8f", "ea3a81", "AU00000", "CON_AFFOR_01", "user.created"} {
		assert.NoError(t, basiq.ValidateID("id", ok), ok)
	}
	for _, bad := range []string{"", "../token", "a/b", ".", "-x", "a b", "a%2fb", "a\x00"} {
		assert.Error(t, basiq.ValidateID("id", bad), bad)
	}
}

func TestFilterValidation(t *testing.T) {
	assert.NoError(t, basiq.Filter{basiq.In("connector.status", "operational", "major-outage")}.Validate())
	bad := []basiq.Filter{
		{basiq.Eq("account", "x")},         // field needs entity.property
		{basiq.Eq("account.id;drop", "x")}, // punctuation in the field
		{{Field: "account.id", Op: "like", Values: []string{"x"}}},
		{{Field: "transaction.postDate", Op: "bt", Values: []string{"2024-01-01"}}},
		{basiq.In("connector.status")},
	}
	for _, f := range bad {
		assert.Error(t, f.Validate(), f.String())
	}
	assert.Equal(t, `transaction.postDate.bt('2024-01-01','2024-03-31'),account.id.eq('a\\b')`,
		basiq.Filter{basiq.Between("transaction.postDate", "2024-01-01", "2024-03-31"), basiq.Eq("account.id", `a\b`)}.String())
}
