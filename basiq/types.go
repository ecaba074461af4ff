package basiq

import (
	"encoding/json"
)

// Links maps a link name (self, next, source, public…) to its URL.
type Links map[string]string

// Ref is a typed reference to another resource.
type Ref struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Links Links  `json:"links,omitempty"`
}

// RefList is a summary list of references embedded in a parent object.
type RefList struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
	Data  []Ref  `json:"data"`
}

// List is one page of a Basiq collection. Which of Count, Size and
// TotalCount is set depends on the endpoint.
type List[T any] struct {
	Type       string `json:"type"`
	Count      int    `json:"count"`
	Size       int    `json:"size"`
	TotalCount int    `json:"totalCount"`
	Data       []T    `json:"data"`
	Links      Links  `json:"links"`
	// Skipped lists the records of this page that could not be read; Data
	// holds the others.
	Skipped []Skipped `json:"-"`
}

// Next returns the opaque URL of the following page, or "" on the last page.
func (l *List[T]) Next() string { return l.Links["next"] }

// User is a Basiq user: the end customer whose banks are connected.
type User struct {
	Type             string   `json:"type"`
	ID               string   `json:"id"`
	Email            string   `json:"email"`
	Mobile           string   `json:"mobile"`
	FirstName        string   `json:"firstName"`
	MiddleName       string   `json:"middleName"`
	LastName         string   `json:"lastName"`
	Name             string   `json:"name"`
	BusinessName     string   `json:"businessName"`
	BusinessIDNo     string   `json:"businessIdNo"`
	BusinessIDNoType string   `json:"businessIdNoType"`
	CreatedTime      Time     `json:"createdTime"`
	Connections      *RefList `json:"connections"`
	Accounts         *RefList `json:"accounts"`
	Links            Links    `json:"links"`
}

// UserParams are the fields of a user create or update. Empty fields are
// omitted: on update they are left as they are.
type UserParams struct {
	Email            string `json:"email,omitempty"`
	Mobile           string `json:"mobile,omitempty"`
	FirstName        string `json:"firstName,omitempty"`
	MiddleName       string `json:"middleName,omitempty"`
	LastName         string `json:"lastName,omitempty"`
	BusinessName     string `json:"businessName,omitempty"`
	BusinessIDNo     string `json:"businessIdNo,omitempty"`
	BusinessIDNoType string `json:"businessIdNoType,omitempty"`
}

// AuthLink is the hosted consent link a user follows to connect banks.
type AuthLink struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	UserID    string `json:"userId"`
	Mobile    string `json:"mobile"`
	ExpiresAt Time   `json:"expiresAt"`
	Links     Links  `json:"links"`
}

// PublicURL is the link to send to the user.
func (a *AuthLink) PublicURL() string { return a.Links["public"] }

// Connection is a user's link to one institution.
type Connection struct {
	Type        string          `json:"type"`
	ID          string          `json:"id"`
	Status      string          `json:"status"`
	Method      string          `json:"method"`
	CreatedDate Time            `json:"createdDate"`
	ExpiryDate  Time            `json:"expiryDate"`
	LastUsed    Time            `json:"lastUsed"`
	MFAEnabled  bool            `json:"mfaEnabled"`
	Institution Ref             `json:"institution"`
	Accounts    *List[Account]  `json:"accounts"`
	Profile     json.RawMessage `json:"profile"`
	Links       Links           `json:"links"`
}

// Account is a bank account retrieved through a connection.
type Account struct {
	Type             string `json:"type"`
	ID               string `json:"id"`
	Name             string `json:"name"`
	AccountNo        string `json:"accountNo"`
	MaskedNumber     string `json:"maskedNumber"`
	AccountHolder    string `json:"accountHolder"`
	AccountOwnership string `json:"accountOwnership"`
	Balance          string `json:"balance"`
	AvailableFunds   string `json:"availableFunds"`
	CreditLimit      string `json:"creditLimit"`
	Currency         string `json:"currency"`
	Class            Class  `json:"class"`
	Status           string `json:"status"`
	Connection       string `json:"connection"`
	Institution      string `json:"institution"`
	LastUpdated      Time   `json:"lastUpdated"`
	Links            Links  `json:"links"`
}

// Class is an account's kind (transaction, savings, credit-card…) and the
// bank's product name.
type Class struct {
	Type    string `json:"type"`
	Product string `json:"product"`
}

// Transaction is one debit or credit on an account. Pending transactions get
// new ids on every refresh; posted ids are stable.
type Transaction struct {
	Type            string          `json:"type"`
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	Description     string          `json:"description"`
	Reference       string          `json:"reference"`
	Amount          string          `json:"amount"`
	Currency        string          `json:"currency"`
	Balance         string          `json:"balance"`
	Direction       string          `json:"direction"`
	Class           string          `json:"class"`
	SubClass        *SubClass       `json:"subClass"`
	Account         string          `json:"account"`
	Connection      string          `json:"connection"`
	Institution     string          `json:"institution"`
	PostDate        Time            `json:"postDate"`
	TransactionDate Time            `json:"transactionDate"`
	Enrich          *Enrich         `json:"enrich"`
	PaymentDetails  json.RawMessage `json:"paymentDetails,omitempty"`
	Links           Links           `json:"links"`
}

// SubClass is a transaction's finer classification.
type SubClass struct {
	Code  string `json:"code"`
	Title string `json:"title"`
}

// Enrich is Basiq's enrichment of a transaction: clean text, tags, merchant.
type Enrich struct {
	CleanDescription string   `json:"cleanDescription"`
	Tags             []string `json:"tags"`
	Merchant         *struct {
		ID           string `json:"id"`
		BusinessName string `json:"businessName"`
		Website      string `json:"website"`
	} `json:"merchant"`
	Category *EnrichCategory `json:"category"`
}

// EnrichCategory is Basiq's classification of a transaction: the ANZSIC
// industry classification of the merchant (division down to subclass) and
// the data holder's merchant category code.
type EnrichCategory struct {
	MatchType string     `json:"matchType"`
	MCC       *CodeTitle `json:"mcc"`
	Anzsic    *struct {
		Division    *CodeTitle `json:"division"`
		Subdivision *CodeTitle `json:"subdivision"`
		Group       *CodeTitle `json:"group"`
		Class       *CodeTitle `json:"class"`
		Subclass    *CodeTitle `json:"subclass"`
	} `json:"anzsic"`
}

// CodeTitle is a classification's code and its title.
type CodeTitle struct {
	Code  string `json:"code"`
	Title string `json:"title"`
}

// Category is a transaction's category and the group it falls in: the
// finest ANZSIC title Basiq gives (subclass, else class, group or
// subdivision) with the ANZSIC division as the group; else the merchant
// category code's title; else the transaction's own subClass title. Tags
// ("card:4615", "income:salary") are never a category.
func (t *Transaction) Category() (category, group string) {
	if t.Enrich != nil && t.Enrich.Category != nil {
		c := t.Enrich.Category
		if a := c.Anzsic; a != nil {
			if a.Division != nil {
				group = a.Division.Title
			}
			for _, level := range []*CodeTitle{a.Subclass, a.Class, a.Group, a.Subdivision, a.Division} {
				if level != nil && level.Title != "" {
					return level.Title, group
				}
			}
		}
		if c.MCC != nil && c.MCC.Title != "" {
			return c.MCC.Title, group
		}
	}
	if t.SubClass != nil && t.SubClass.Title != "" {
		return t.SubClass.Title, group
	}
	return "", group
}

// Consent is a user's data-sharing consent.
type Consent struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Created    Time            `json:"created"`
	Updated    Time            `json:"updated"`
	ExpiryDate Time            `json:"expiryDate"`
	Origin     string          `json:"origin"`
	Status     string          `json:"status"`
	Revoked    Time            `json:"revoked"`
	Purpose    json.RawMessage `json:"purpose"`
	Data       struct {
		RetainData           bool `json:"retainData"`
		InitialRetrievalDays int  `json:"initialRetrievalDays"`
		Permissions          []struct {
			Scope     string `json:"scope"`
			Required  bool   `json:"required"`
			Consented bool   `json:"consented"`
			Entity    string `json:"entity"`
		} `json:"permissions"`
	} `json:"data"`
	Links Links `json:"links"`
}

// Event is a recorded change to a user, connection, account or consent.
type Event struct {
	Type        string          `json:"type"`
	ID          string          `json:"id"`
	CreatedDate Time            `json:"createdDate"`
	Entity      string          `json:"entity"`
	EventType   string          `json:"eventType"`
	UserID      string          `json:"userId"`
	DataRef     string          `json:"dataRef"`
	Data        json.RawMessage `json:"data"`
	Links       Links           `json:"links"`
}

// EventType is one kind of event Basiq records, e.g. connection.created.
type EventType struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Description string `json:"description"`
	Links       Links  `json:"links"`
}
