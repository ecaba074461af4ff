// Package views holds the model-facing forms of Basiq objects that both the
// tools and the resources show: the same fields, the same cleaning of
// third-party text and the same masking, wherever a model reads them. Their
// json tags are also the tools' output schemas.
package views

import (
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

// User is a customer with references to their connections.
type User struct {
	ID            string   `json:"id"`
	Name          string   `json:"name,omitempty"`
	Email         string   `json:"email,omitempty"`
	Mobile        string   `json:"mobile,omitempty"`
	BusinessName  string   `json:"business_name,omitempty"`
	ConnectionIDs []string `json:"connection_ids"`
	AccountCount  int      `json:"account_count"`
}

// FromUser renders a Basiq user.
func FromUser(u *basiq.User) User {
	v := User{ID: u.ID, Name: Name(u), Email: u.Email, Mobile: u.Mobile, BusinessName: text.Clean(u.BusinessName, 80), ConnectionIDs: []string{}}
	if u.Connections != nil {
		for _, c := range u.Connections.Data {
			v.ConnectionIDs = append(v.ConnectionIDs, c.ID)
		}
	}
	if u.Accounts != nil {
		v.AccountCount = len(u.Accounts.Data)
	}
	return v
}

// Name is a user's name, cleaned: first and last, else Basiq's name field.
func Name(u *basiq.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Name
	}
	return text.Clean(name, 80)
}

// Connection is one connection to a bank.
type Connection struct {
	ID            string `json:"id"`
	Status        string `json:"status" jsonschema_description:"active, pending, invalid (see its newest job) or deleted"`
	Method        string `json:"method,omitempty"`
	InstitutionID string `json:"institution_id"`
	LastRefreshed string `json:"last_refreshed,omitempty" jsonschema_description:"when data was last retrieved successfully (RFC 3339)"`
	Created       string `json:"created,omitempty"`
	// ConnectionExpiry is the connection's own expiryDate. The customer's
	// consent has an expiry of its own (list_consents), which may differ.
	ConnectionExpiry string `json:"connection_expiry,omitempty" jsonschema_description:"the connection's own expiry (the consent's is in list_consents)"`
}

// FromConnection renders a Basiq connection.
func FromConnection(c basiq.Connection) Connection {
	return Connection{ID: c.ID, Status: c.Status, Method: basiq.NormalMethod(c.Method), InstitutionID: c.Institution.ID,
		LastRefreshed: Stamp(c.LastUsed), Created: Stamp(c.CreatedDate), ConnectionExpiry: Stamp(c.ExpiryDate)}
}

// Stamp formats a Basiq time as RFC 3339 UTC, or "" when unset.
func Stamp(t basiq.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Day formats a Basiq time as YYYY-MM-DD, or "" when unset.
func Day(t basiq.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// Mask keeps the last four characters of an account number.
func Mask(number string) string {
	if len(number) <= 4 {
		return number
	}
	return "xxxx" + number[len(number)-4:]
}
