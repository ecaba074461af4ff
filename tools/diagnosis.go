package tools

import (
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// Diagnosis says in plain words what a failure means and what to do.
type Diagnosis struct {
	Code       string `json:"code"`
	Meaning    string `json:"meaning"`
	NextAction string `json:"next_action"`
	Retry      string `json:"retry" jsonschema:"enum=no,enum=later,enum=after-user-action"`
}

// Retry advice of a diagnosis.
const (
	retryNo         = "no"
	retryLater      = "later"
	retryAfterUser  = "after-user-action"
	reconsentAction = "Do not refresh again. Ask the customer to re-consent: create_auth_link and send them the link."
	supportAction   = "Retry once later; if it fails again, report the job id to Basiq support."
	statementAction = "The uploaded statement was not accepted; do not upload the same file again. Ask the customer for a complete, unedited statement from their bank (PDF or CSV as exported)."
)

// diagnoses covers every failure code of the JobsResult enum in Basiq's
// OpenAPI files (a test holds the two in step) and the codes Basiq's docs
// and examples use besides (invalid-credentials, authorization-failed,
// service-unavailable, account-not-accessible-requires-user-action).
var diagnoses = map[string]Diagnosis{
	"invalid-credentials": {Meaning: "The bank rejected the login (wrong or changed password, locked account, or MFA the bank does not support).",
		NextAction: reconsentAction, Retry: retryAfterUser},
	"account-not-accessible-requires-user-action": {Meaning: "The bank needs the customer to act in their online banking (accept terms, confirm details).",
		NextAction: "Ask the customer to complete what their bank asks in their online banking, then send them a consent link (create_auth_link): completing it reconnects the bank. A refresh is refused until a newer consent or connection update shows they acted.", Retry: retryAfterUser},
	"user-action-required": {Meaning: "The customer must act before data can be retrieved: at their bank, or by consenting again after revoking.",
		NextAction: "Ask the customer to fix what their bank asks, then send them a consent link (create_auth_link): completing it reconnects the bank. A refresh is refused until a newer consent or connection update shows they acted.", Retry: retryAfterUser},
	"authorization-failed": {Meaning: "The Open Banking authorisation was refused, withdrawn or expired at the bank.",
		NextAction: "Ask the customer to re-authorise through a new consent link (create_auth_link); a refresh cannot fix it.", Retry: retryAfterUser},
	"invalid-connection": {Meaning: "Basiq no longer considers the connection valid (credentials or consent no longer work).",
		NextAction: reconsentAction, Retry: retryAfterUser},
	"service-unavailable": {Meaning: "The bank's systems were unavailable. For a new or updated connection Basiq itself retries about every 2 hours for up to 7 days.",
		NextAction: "Check check_connector_status: during a major outage wait 1 to 3 hours; otherwise retry once after about 10 minutes and, if it fails again, report the connection id to Basiq support.", Retry: retryLater},
	"system-unavailable": {Meaning: "The bank or Basiq was unavailable.", NextAction: "Retry once in about 10 minutes; report the job id to Basiq support if it persists.", Retry: retryLater},
	"maintenance":        {Meaning: "The bank is in scheduled maintenance.", NextAction: "Retry in a few hours; check check_connector_status first.", Retry: retryLater},
	"maintenance-error":  {Meaning: "The bank is in scheduled maintenance.", NextAction: "Retry in a few hours; check check_connector_status first.", Retry: retryLater},
	"connector-error":    {Meaning: "Basiq's connector to this bank failed.", NextAction: supportAction, Retry: retryLater},
	"unknown-error":      {Meaning: "Basiq reported an unexpected error at the bank or in Basiq.", NextAction: supportAction, Retry: retryLater},
	"job-timed-out": {Meaning: "The job took too long, usually because a one-time code was not given in time.",
		NextAction: "Start again only when the customer is ready to give the bank's code (answer_mfa sends it).", Retry: retryAfterUser},
	"institution-not-available": {Meaning: "The bank is not available through Basiq right now.", NextAction: "Check check_connector_status and try again later.", Retry: retryLater},
	"institution-disabled":      {Meaning: "Basiq has disabled this bank.", NextAction: "Tell the customer the bank cannot be connected at the moment; do not retry.", Retry: retryNo},
	"institution-not-found":     {Meaning: "Basiq does not know this bank.", NextAction: "Check the institution id with list_connectors.", Retry: retryNo},
	"txn-after-last-updated-date": {Meaning: "The statement holds transactions dated after the account's last update, so Basiq would not merge it.",
		NextAction: "Ask for a statement that ends on or before the account's last update, or refresh the connection first; do not upload the same file again.", Retry: retryAfterUser},
	"missing-required-field":       {Meaning: "The uploaded CSV lacks a column Basiq requires.", NextAction: statementAction, Retry: retryAfterUser},
	"missing-required-field-value": {Meaning: "A row of the uploaded CSV lacks a required value.", NextAction: statementAction, Retry: retryAfterUser},
	"invalid-field-value":          {Meaning: "A value in the uploaded file is not in the format Basiq expects.", NextAction: statementAction, Retry: retryAfterUser},
	"invalid-csv-row":              {Meaning: "A row of the uploaded CSV could not be read.", NextAction: statementAction, Retry: retryAfterUser},
	"row-count-exceeded":           {Meaning: "The uploaded file has more rows than Basiq accepts.", NextAction: "Ask for a statement covering a shorter period.", Retry: retryAfterUser},
	"account-data-differs":         {Meaning: "The statement's account details differ from the account already on file.", NextAction: "Check that the statement belongs to the same account; upload it to the right one.", Retry: retryAfterUser},
	"empty-file":                   {Meaning: "The uploaded file was empty.", NextAction: statementAction, Retry: retryAfterUser},
	"bank-statement-invalid":       {Meaning: "The file is not a bank statement Basiq can read (edited, scanned or incomplete).", NextAction: statementAction, Retry: retryAfterUser},
	"bank-statement-new-product":   {Meaning: "The statement comes from a bank product Basiq does not parse yet.", NextAction: "Tell the customer this statement cannot be read automatically; connect the bank instead (create_auth_link).", Retry: retryNo},
	"bank-statement-parsing-error": {Meaning: "Basiq could not parse the statement.", NextAction: "Ask for a fresh export of the statement; if it fails again, report the job id to Basiq support.", Retry: retryAfterUser},
	"bank-statement-not-supported": {Meaning: "Statements from this bank are not supported.", NextAction: "Connect the bank instead (create_auth_link); do not upload again.", Retry: retryNo},
}

// unknownDiagnosis is for a code this server does not know: say so, and take
// the cautious step rather than guess that a retry will help.
func unknownDiagnosis(code string) Diagnosis {
	return Diagnosis{Code: code, Meaning: "Basiq reported a failure code this server does not know; the step's error text is Basiq's own words.",
		NextAction: "Do not retry automatically. Read the error text and the connection's other jobs (list_user_jobs); if the cause is still unclear, report the job id to Basiq support.", Retry: retryNo}
}

var mfaDiagnosis = Diagnosis{Code: "mfa-required", Meaning: "The bank asked the customer for a one-time code or security answers during this job.",
	NextAction: "Ask the customer for the code the bank just sent them (or the answers), then call answer_mfa with it before the challenge expires. A wrong code fails the job and can leave the connection invalid, so send exactly what they read out, once. For a first connection the consent screen asks them itself.", Retry: retryAfterUser}

// mfaRefused is a failure at the bank's challenge: the code or answers sent
// were not accepted. It is not a password problem, and the customer is the
// one who can fix it.
var mfaRefused = Diagnosis{Meaning: "The bank did not accept the one-time code or answers sent for its challenge (a wrong, mistyped or expired code), so the job failed.",
	NextAction: "Do not send the same code again, and do not refresh in a loop: each attempt may lock the customer out at their bank. When the customer is ready with a new code (the bank sends one per attempt), start one refresh_connection and send the new code with answer_mfa at once; if the connection is now invalid, send a consent link (create_auth_link).",
	Retry:      retryAfterUser}

// diagnose explains a failed step. A failure without a code is Basiq's
// unknown-error; a code not in the table is said to be unknown; a failure
// at the bank's challenge is diagnosed as a refused code, whatever its code.
func diagnose(step *basiq.JobStep) *Diagnosis {
	code := "unknown-error"
	if step != nil && step.Result != nil && step.Result.Code != "" {
		code = step.Result.Code
	}
	d, ok := diagnoses[code]
	if !ok {
		d = unknownDiagnosis(code)
	}
	if failedAtChallenge(step) && code != "job-timed-out" {
		d = mfaRefused
	}
	d.Code = code
	return &d
}

// failedAtChallenge reports whether a failed step is the bank's MFA
// challenge, by its title or by what Basiq says of the failure.
func failedAtChallenge(step *basiq.JobStep) bool {
	if step == nil {
		return false
	}
	if strings.Contains(strings.ToLower(step.Title), "mfa") {
		return true
	}
	if step.Result == nil {
		return false
	}
	said := strings.ToLower(step.Result.Title + " " + step.Result.Message())
	return strings.Contains(said, "mfa") || strings.Contains(said, "one-time code") || strings.Contains(said, "security answer")
}
