package tools

import (
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/specfake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryPublishedFailureCodeHasADiagnosis holds the diagnoses in step
// with the JobsResult enum of Basiq's OpenAPI files.
func TestEveryPublishedFailureCodeHasADiagnosis(t *testing.T) {
	codes := specfake.Require(t).Enum("JobsResult", "code")
	require.Greater(t, len(codes), 20, "the JobsResult enum was not found")
	for _, code := range codes {
		if code == "success" {
			continue
		}
		d, ok := diagnoses[code]
		if assert.True(t, ok, "no diagnosis for %q", code) {
			assert.NotEmpty(t, d.Meaning, code)
			assert.NotEmpty(t, d.NextAction, code)
			assert.Contains(t, []string{retryNo, retryLater, retryAfterUser}, d.Retry, code)
		}
	}
}

func TestUnknownFailureCodeIsSaidToBeUnknown(t *testing.T) {
	d := diagnose(&basiq.JobStep{Status: basiq.StepFailed, Result: &basiq.StepResult{Code: "brand-new-code", Details: "Something new"}})
	assert.Equal(t, "brand-new-code", d.Code)
	assert.Contains(t, d.Meaning, "does not know")
	assert.Equal(t, retryNo, d.Retry, "an unknown failure is not confidently retried")
}
