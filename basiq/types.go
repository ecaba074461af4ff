package basiq

import (
	"encoding/json"
	"strings"
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

// Job is Basiq's record of asynchronous work: a connect, a refresh, a
// statement upload or a report.
type Job struct {
	Type          string    `json:"type"`
	ID            string    `json:"id"`
	Created       Time      `json:"created"`
	Updated       Time      `json:"updated"`
	JobType       string    `json:"jobType"`
	Status        string    `json:"status"`
	PartnerID     string    `json:"partnerId"`
	ApplicationID string    `json:"applicationId"`
	Steps         []JobStep `json:"steps"`
	Institution   *Ref      `json:"institution"`
	Links         Links     `json:"links"`
}

// JobStep is one stage of a job, such as verify-credentials.
type JobStep struct {
	Title  string      `json:"title"`
	Status string      `json:"status"` // pending, in-progress, success, failed
	Result *StepResult `json:"result"`
}

// StepResult is a step's outcome: a link on success, an error on failure,
// or an MFA challenge while the institution waits for the user.
type StepResult struct {
	Type        string   `json:"type"` // link or mfa; empty for a failure
	URL         string   `json:"url"`
	Code        string   `json:"code"`
	Title       string   `json:"title"`
	Detail      string   `json:"detail"`
	Details     string   `json:"details"` // the spelling of Basiq's OpenAPI files
	Method      string   `json:"method"`
	Description string   `json:"description"`
	Input       []string `json:"input"`
	ExpiryMs    int64    `json:"expiryMs"`
	Links       Links    `json:"links"`
}

// Message is the failure text, under whichever name Basiq sent it.
func (r *StepResult) Message() string {
	if r.Detail != "" {
		return r.Detail
	}
	return r.Details
}

// Job step statuses.
const (
	StepPending    = "pending"
	StepInProgress = "in-progress"
	StepSuccess    = "success"
	StepFailed     = "failed"
)

// FailedStep returns the step that failed, or nil.
func (j *Job) FailedStep() *JobStep {
	for i := range j.Steps {
		if j.Steps[i].Status == StepFailed {
			return &j.Steps[i]
		}
	}
	return nil
}

// Finished reports whether the job can change no more: a step failed, or
// every step succeeded.
func (j *Job) Finished() bool {
	if j.FailedStep() != nil || j.Status == StepFailed {
		return true
	}
	for _, s := range j.Steps {
		if s.Status != StepSuccess {
			return false
		}
	}
	return len(j.Steps) > 0
}

// Succeeded reports whether every step succeeded.
func (j *Job) Succeeded() bool {
	return j.Finished() && j.FailedStep() == nil && j.Status != StepFailed
}

// MFAChallenge returns the pending MFA challenge, or nil.
func (j *Job) MFAChallenge() *StepResult {
	for _, s := range j.Steps {
		if s.Status == StepInProgress && s.Result != nil && s.Result.Type == "mfa" {
			return s.Result
		}
	}
	return nil
}

// Job states, as JobState derives them.
const (
	JobRunning        = "running"
	JobWaitingForUser = "waiting-for-user"
	JobSucceeded      = "succeeded"
	JobFailed         = "failed"
)

// JobState is the one word for where a job stands: failed, waiting-for-user
// (an MFA challenge is open), succeeded, or running.
func JobState(j *Job) string {
	switch {
	case j.FailedStep() != nil || j.Status == StepFailed:
		return JobFailed
	case j.MFAChallenge() != nil:
		return JobWaitingForUser
	case j.Succeeded():
		return JobSucceeded
	}
	return JobRunning
}

// ReportID returns the id of the report a finished report job made, taken
// from its step's result URL (absolute or relative), or "".
func (j *Job) ReportID() string {
	for _, s := range j.Steps {
		if s.Status != StepSuccess || s.Result == nil {
			continue
		}
		if i := strings.Index(s.Result.URL, "/reports/"); i >= 0 {
			id := s.Result.URL[i+len("/reports/"):]
			if k := strings.IndexAny(id, "/?"); k >= 0 {
				id = id[:k]
			}
			return id
		}
	}
	return ""
}

// ConnectionID returns the id of the connection the job works on, taken from
// its source link, or "" when the job is not about a connection (yet).
func (j *Job) ConnectionID() string {
	src := j.Links["source"]
	if i := strings.Index(src, "/connections/"); i >= 0 {
		rest := src[i+len("/connections/"):]
		if k := strings.IndexAny(rest, "/?"); k >= 0 {
			rest = rest[:k]
		}
		return rest
	}
	return ""
}

// Connector is one institution reachable by one access method.
type Connector struct {
	Type          string               `json:"type"`
	ID            string               `json:"id"`
	Method        string               `json:"method"`
	Stage         string               `json:"stage"`
	Status        string               `json:"status"`
	Institution   ConnectorInstitution `json:"institution"`
	Scopes        []string             `json:"scopes"`
	Authorization struct {
		Type string `json:"type"`
	} `json:"authorization"`
	Stats struct {
		AverageDurationMs map[string]int64 `json:"averageDurationMs"`
	} `json:"stats"`
	Links Links `json:"links"`
}

// ConnectorInstitution describes the bank behind a connector.
type ConnectorInstitution struct {
	Type      string `json:"type"`
	Name      string `json:"name"`
	ShortName string `json:"shortName"`
	Tier      string `json:"tier"`
	Country   string `json:"country"`
}

// MethodOpenBanking is the Open Banking (CDR) access method. Basiq's files
// spell it "openbanking" (connection examples, the connector enum) and
// "open-banking" (connector filters, the docs' own calls); NormalMethod
// reads both as this one.
const MethodOpenBanking = "open-banking"

// NormalMethod returns an access method in one spelling, so that a
// connection's method and a connector's compare equal.
func NormalMethod(m string) string {
	if strings.EqualFold(m, "openbanking") || strings.EqualFold(m, MethodOpenBanking) {
		return MethodOpenBanking
	}
	return m
}

// Connector statuses, as Basiq spells them.
const (
	ConnectorOperational      = "operational"
	ConnectorDegraded         = "degraded-performance"
	ConnectorPartialOutage    = "partial-outage"
	ConnectorMajorOutage      = "major-outage"
	ConnectorUnderMaintenance = "under-maintenance"
)

var connectorSeverity = map[string]int{ConnectorOperational: 0, ConnectorUnderMaintenance: 1,
	ConnectorDegraded: 2, ConnectorPartialOutage: 3, ConnectorMajorOutage: 4}

// WorseStatus returns the more severe of two connector statuses. A status
// Basiq adds later counts as a partial outage until this client knows it:
// unknown is not the same as fine.
func WorseStatus(a, b string) string {
	if severity(b) > severity(a) {
		return b
	}
	return a
}

func severity(status string) int {
	if s, ok := connectorSeverity[status]; ok {
		return s
	}
	return connectorSeverity[ConnectorPartialOutage]
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
	Category *struct {
		MatchType string `json:"matchType"`
	} `json:"category"`
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
