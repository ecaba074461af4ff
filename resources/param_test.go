package resources

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestParamNeedsItsPrefix: a URI that does not start with the template's
// prefix is not that resource, even if what is left looks like an id.
func TestParamNeedsItsPrefix(t *testing.T) {
	_, err := param("u1", "basiq://users/", "")
	assert.Error(t, err)
	_, err = param("basiq://jobs/u1", "basiq://users/", "")
	assert.Error(t, err)
	id, err := param("basiq://users/u1/connections", "basiq://users/", "/connections")
	assert.NoError(t, err)
	assert.Equal(t, "u1", id)
}
