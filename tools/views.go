package tools

import (
	"encoding/base64"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
)

// The types below are what the model sees: ids, names, statuses, dates and
// amounts as decimal strings, nothing else. Their json tags are also their
// output schema.

// AccountView is one bank account, its number masked.
type AccountView struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Type          string `json:"type" jsonschema_description:"transaction, savings, credit-card, mortgage, loan, term-deposit…"`
	Product       string `json:"product,omitempty"`
	Number        string `json:"number,omitempty" jsonschema_description:"masked: only the last 4 digits"`
	Balance       string `json:"balance" jsonschema_description:"decimal string; negative for money owed"`
	Available     string `json:"available,omitempty"`
	CreditLimit   string `json:"credit_limit,omitempty"`
	Currency      string `json:"currency"`
	Status        string `json:"status,omitempty"`
	ConnectionID  string `json:"connection_id"`
	InstitutionID string `json:"institution_id"`
	Updated       string `json:"updated,omitempty"`
}

// TransactionView is one transaction. Its text comes from third parties.
type TransactionView struct {
	ID          string `json:"id"`
	Date        string `json:"date" jsonschema_description:"YYYY-MM-DD (post date, or transaction date while pending)"`
	Description string `json:"description"`
	Amount      string `json:"amount" jsonschema_description:"decimal string; negative is money out"`
	Direction   string `json:"direction" jsonschema:"enum=debit,enum=credit"`
	Class       string `json:"class,omitempty"`
	Category    string `json:"category,omitempty"`
	// CategoryGroup is the ANZSIC division the category falls in.
	CategoryGroup string `json:"category_group,omitempty"`
	Status        string `json:"status" jsonschema:"enum=posted,enum=pending"`
	AccountID     string `json:"account_id"`
}

func accountView(a basiq.Account) AccountView {
	return AccountView{ID: a.ID, Name: text.Clean(a.Name, 80), Type: a.Class.Type, Product: text.Clean(a.Class.Product, 80),
		Number: views.Mask(a.AccountNo), Balance: a.Balance, Available: a.AvailableFunds, CreditLimit: a.CreditLimit,
		Currency: a.Currency, Status: a.Status, ConnectionID: a.Connection, InstitutionID: a.Institution, Updated: views.Stamp(a.LastUpdated)}
}

func transactionView(t basiq.Transaction) TransactionView {
	date := t.PostDate
	if date.IsZero() {
		date = t.TransactionDate
	}
	v := TransactionView{ID: t.ID, Date: views.Day(date), Description: text.Clean(t.Description, 160), Amount: t.Amount,
		Direction: t.Direction, Class: t.Class, Status: t.Status, AccountID: t.Account}
	category, group := t.Category()
	v.Category, v.CategoryGroup = text.Clean(category, 80), text.Clean(group, 80)
	if v.Direction == "" {
		v.Direction = "credit"
		if strings.HasPrefix(t.Amount, "-") {
			v.Direction = "debit"
		}
	}
	return v
}

// encodeCursor hides a Basiq links.next URL behind an opaque token, so the
// model handles no hosts or paths. The client refuses a decoded link that
// leaves the Basiq host or, once dot segments are resolved, the list's own
// path, so a forged cursor goes nowhere.
func encodeCursor(next string) string {
	if next == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(next))
}

// decodeCursor turns a cursor back into the links.next URL it hides.
func decodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	next, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(next) == 0 || !strings.Contains(string(next), "?") {
		return "", badArg("argument \"cursor\" is not a cursor this server issued; omit it to start from the first page")
	}
	return string(next), nil
}
