package basiqtest

import (
	"net/http"
	"time"
)

var failConsentRevoked = failure{"user-action-required", "Consent revoked.",
	"The user revoked their consent; they must consent again before data can be retrieved."}

// consentPermissions name their scopes as core.yml's consent examples do
// (account.basic, transaction.detail, customer.person.detail).
var consentPermissions = []obj{
	{"scope": "account.basic", "required": true, "consented": true, "entity": "account",
		"information": obj{"name": "Account name, type and balance", "description": "Name of account; type of account; account balance", "attributeList": []string{"name", "type", "balance"}},
		"purpose":     obj{"title": "Account details", "description": "To show which accounts you hold and their balances."}},
	{"scope": "transaction.detail", "required": true, "consented": true, "entity": "transaction",
		"information": obj{"name": "Transaction details", "description": "Incoming and outgoing transactions; amounts; dates; descriptions", "attributeList": []string{"amount", "date", "description"}},
		"purpose":     obj{"title": "Transactions", "description": "To analyse income and spending."}},
	{"scope": "customer.person.detail", "required": false, "consented": true, "entity": "customer",
		"information": obj{"name": "Name and occupation", "description": "Name; occupation", "attributeList": []string{"name", "occupation"}},
		"purpose":     obj{"title": "Identity", "description": "To confirm who you are."}},
}

func (s *Simulator) consentStatus(c *simConsent, x *exchange) string {
	if c.Status == "active" && !x.now.Before(c.Expiry) {
		return "expired"
	}
	return c.Status
}

// hasActiveConsent reports whether userID may have data retrieved.
func (s *Simulator) hasActiveConsent(userID string, now time.Time) bool {
	for _, c := range s.consents[userID] {
		if c.Status == "active" && now.Before(c.Expiry) {
			return true
		}
	}
	return false
}

func (x *exchange) consentView(c *simConsent) obj {
	v := obj{"type": "consent", "id": c.ID, "created": ts(c.Created), "updated": ts(c.Updated), "expiryDate": ts(c.Expiry),
		"origin": "user", "status": x.s.consentStatus(c, x),
		"purpose": obj{"primary": obj{"title": "Financial overview", "description": "To understand your income and spending."}, "other": nil},
		"data":    obj{"retainData": false, "initialRetrievalDays": 365, "organisation": nil, "permissions": consentPermissions},
		"links": obj{"self": x.link("/users/" + c.UserID + "/consents/" + c.ID), "consentPolicy": x.link("/consent-policies/default"),
			"latestConsentPolicy": x.link("/consent-policies/default")}}
	if !c.Revoked.IsZero() {
		v["revoked"] = ts(c.Revoked)
	}
	return v
}

func (s *Simulator) listConsents(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	items := []any{}
	for _, c := range s.consents[u.ID] {
		items = append(items, x.consentView(c))
	}
	x.json(http.StatusOK, obj{"type": "list", "size": len(items), "data": items, "links": obj{"self": x.link("/users/" + u.ID + "/consents")}})
}

// deleteConsent revokes a consent: the user's connections become invalid
// until the user consents again.
func (s *Simulator) deleteConsent(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	id := x.r.PathValue("consentId")
	for _, c := range s.consents[u.ID] {
		if c.ID != id || c.Status == "revoked" {
			continue
		}
		c.Status, c.Revoked, c.Updated = "revoked", x.now, x.now
		s.emit(x.now, "consent", "revoked", u.ID, "/users/"+u.ID+"/consents/"+c.ID, nil)
		for _, conn := range s.activeConns(u) {
			conn.Fail = &failConsentRevoked
			if conn.Status != "invalid" {
				conn.Status = "invalid"
				s.emit(x.now, "connection", "updated", u.ID, "/users/"+u.ID+"/connections/"+conn.ID, s.connEventData(conn))
			}
		}
		x.w.WriteHeader(http.StatusNoContent)
		return
	}
	x.notFound("Requested consent does not exist.")
}
