package basiqtest

// institution is one test bank with the access methods it offers.
type institution struct {
	ID, Name, ShortName, Type, Tier, Country string
	Methods                                  []string
	Status                                   string // connector status, the same for every method
	Stage                                    string
	MFA                                      mfaPolicy
	// Step durations in ms: Basiq publishes these per connector as stats.
	VerifyMs, AccountsMs, TransactionsMs int64
}

type mfaPolicy int

const (
	mfaNever  mfaPolicy = iota
	mfaAlways           // Pied Piper challenges on every attempt
	mfaHalf             // Nucleus challenges on about half of attempts
)

// institutions are the simulator's banks. Hooli (AU00000) and HooliGov
// (AU00004) are Basiq's documented test banks; Pied Piper and Nucleus are
// documented without ids, so ours are invented, as are the rest, chosen so
// that every connector status is represented.
var institutions = []institution{
	{ID: "AU00000", Name: "Hooli Bank", ShortName: "Hooli", Type: "Test Bank", Tier: "4", Country: "Australia",
		Methods: []string{"web", "open-banking"}, Status: "operational", Stage: "live", VerifyMs: 3600, AccountsMs: 4500, TransactionsMs: 2300},
	{ID: "AU00002", Name: "Pied Piper Bank", ShortName: "Pied Piper", Type: "Test Bank", Tier: "4", Country: "Australia",
		Methods: []string{"web"}, Status: "operational", Stage: "live", MFA: mfaAlways, VerifyMs: 3000, AccountsMs: 3500, TransactionsMs: 2500},
	{ID: "AU00003", Name: "Nucleus Bank", ShortName: "Nucleus", Type: "Test Bank", Tier: "4", Country: "Australia",
		Methods: []string{"web"}, Status: "degraded-performance", Stage: "beta", MFA: mfaHalf, VerifyMs: 9000, AccountsMs: 8000, TransactionsMs: 7000},
	{ID: "AU00004", Name: "HooliGov Bank", ShortName: "HooliGov", Type: "Test Bank", Tier: "4", Country: "Australia",
		Methods: []string{"web"}, Status: "operational", Stage: "live", VerifyMs: 3200, AccountsMs: 4000, TransactionsMs: 2600},
	{ID: "AU00005", Name: "Raviga Credit Union", ShortName: "Raviga", Type: "Credit Union", Tier: "3", Country: "Australia",
		Methods: []string{"web", "open-banking"}, Status: "partial-outage", Stage: "live", VerifyMs: 4200, AccountsMs: 5200, TransactionsMs: 3900},
	{ID: "AU00006", Name: "Bream-Hall Building Society", ShortName: "Bream-Hall", Type: "Building Society", Tier: "3", Country: "Australia",
		Methods: []string{"web"}, Status: "major-outage", Stage: "live", VerifyMs: 5000, AccountsMs: 6000, TransactionsMs: 4000},
	{ID: "AU00007", Name: "Aviato Bank", ShortName: "Aviato", Type: "Bank", Tier: "2", Country: "Australia",
		Methods: []string{"open-banking", "pdf", "csv"}, Status: "under-maintenance", Stage: "live", VerifyMs: 2800, AccountsMs: 3300, TransactionsMs: 2900},
	{ID: "AU00008", Name: "Endframe Bank", ShortName: "Endframe", Type: "Bank", Tier: "1", Country: "Australia",
		Methods: []string{"web", "open-banking", "pdf", "csv"}, Status: "operational", Stage: "live", VerifyMs: 2500, AccountsMs: 3000, TransactionsMs: 2000},
	{ID: "AU00009", Name: "Coleman Financial Services", ShortName: "Coleman", Type: "Financial Services", Tier: "4", Country: "Australia",
		Methods: []string{"web"}, Status: "operational", Stage: "alpha", VerifyMs: 6000, AccountsMs: 6500, TransactionsMs: 5500},
	{ID: "NZ00001", Name: "Sliceline Bank", ShortName: "Sliceline", Type: "Bank", Tier: "2", Country: "New Zealand",
		Methods: []string{"web"}, Status: "operational", Stage: "beta", VerifyMs: 3800, AccountsMs: 4100, TransactionsMs: 3100},
}

func findInstitution(id string) *institution {
	for i := range institutions {
		if institutions[i].ID == id {
			return &institutions[i]
		}
	}
	return nil
}

func (in *institution) hasMethod(m string) bool {
	for _, x := range in.Methods {
		if x == m {
			return true
		}
	}
	return false
}

// failure is how a job step fails: Basiq's code, title and detail.
type failure struct{ Code, Title, Detail string }

var (
	failLocked = failure{"invalid-credentials", "Cannot login to target institution: this account is locked.",
		"Account is locked. The user must contact the institution, then re-consent."}
	failBadCredentials = failure{"invalid-credentials", "Cannot login to target institution, check credentials.",
		"Cannot login to target institution using supplied credentials. Please check credentials and try again."}
	failUserAction = failure{"account-not-accessible-requires-user-action", "Account not accessible: user action required.",
		"The institution requires the user to log in to online banking and complete a pending action."}
	failUnavailable = failure{"service-unavailable", "Institution service is currently unavailable.",
		"The institution's service is currently unavailable. Please try again later."}
	failMFAWrong = failure{"invalid-credentials", "Cannot login to target institution: incorrect MFA response.",
		"The one-time code or answer supplied for the MFA challenge was not accepted."}
	failMFATimeout = failure{"job-timed-out", "MFA challenge expired.",
		"No response to the MFA challenge was received before it expired."}
)

// mfa is a persona's challenge: method, prompts and the answers accepted.
type mfa struct {
	Method  string // token or security-questions
	Prompts []string
	Answers []string
}

var (
	mfaOTP       = &mfa{"token", []string{"OTP Password"}, []string{"1234"}}
	mfaCompany   = &mfa{"security-questions", []string{"What's your first company?"}, []string{"Hooli"}}
	mfaTwoPrompt = &mfa{"security-questions", []string{"What's your favourite company?", "What's the ID of this institution?"}, []string{"Basiq", "AU00000"}}
)

// persona is a documented sandbox login and the financial life behind it.
type persona struct {
	LoginID, Password string
	First, Last       string
	Suburb            string
	Fail              *failure // unhappy personas always fail this way
	MFA               *mfa
	Business          bool
	Accounts          []accountSpec
	Streams           []stream
}

// accountSpec describes one account a persona holds.
type accountSpec struct {
	Name, Product, Class string
	Number               string // BSB + number as Basiq shows it
	Opening              int64  // cents
	Limit                int64  // credit limit in cents, cards only
	Ownership            string
}

func findPersona(loginID string) *persona {
	for _, p := range personas {
		if p.LoginID == loginID {
			return p
		}
	}
	return nil
}
