package basiqtest

import (
	"net/http"
	"strings"
	"unicode"
)

// category carries what the enrichment of a transaction says about it.
type category struct {
	Code, Title string   // ANZSIC-style subclass, empty for none
	Tags        []string // Basiq-style "name:value" tags
	Merchant    bool
}

var categories = map[string]category{
	"salary":        {Tags: []string{"income:salary"}},
	"benefit":       {Tags: []string{"income:government", "governmentPayment:centrelink"}},
	"rental-income": {Tags: []string{"income:rental"}},
	"gig-income":    {Tags: []string{"income:gig-economy"}},
	"other-income":  {Tags: []string{"income:other"}},
	"groceries":     {"411", "Supermarket and Grocery Stores", []string{"expense:groceries"}, true},
	"dining":        {"451", "Cafes, Restaurants and Takeaway Food Services", []string{"expense:dining"}, true},
	"fuel":          {"400", "Fuel Retailing", []string{"expense:fuel"}, true},
	"utilities":     {"263", "Electricity Distribution", []string{"expense:utilities"}, true},
	"telco":         {"580", "Telecommunications Services", []string{"expense:telecommunication"}, true},
	"subscriptions": {"570", "Internet Publishing and Broadcasting", []string{"expense:subscriptions"}, true},
	"insurance":     {"632", "General Insurance", []string{"expense:insurance"}, true},
	"transport":     {"462", "Public Transport", []string{"expense:transport"}, true},
	"shopping":      {"427", "Department Stores", []string{"expense:shopping"}, true},
	"entertainment": {"913", "Sports and Recreation Activities", []string{"expense:entertainment"}, true},
	"travel":        {"490", "Air and Space Transport", []string{"expense:travel"}, true},
	"rent":          {"671", "Property Operators", []string{"expense:rent"}, false},
	"tax":           {"753", "Public Order and Safety Services", []string{"expense:tax"}, false},
	"gambling":      {"920", "Gambling Activities", []string{"risk:gambling"}, true},
	"bnpl":          {"624", "Finance", []string{"risk:buy-now-pay-later"}, true},
	"crypto":        {"641", "Auxiliary Finance and Investment Services", []string{"risk:crypto"}, true},
	"cash":          {Tags: []string{"cash:atm"}},
	"dishonour":     {Tags: []string{"risk:dishonour"}},
	"fee":           {Tags: []string{"expense:bank-fee"}},
	"mortgage":      {Tags: []string{"liability:mortgage"}},
	"loan":          {Tags: []string{"liability:loan"}},
	"card-payment":  {Tags: []string{"transfer:credit-card"}},
}

func (x *exchange) txnView(tx *simTxn, userID string) obj {
	c := x.s.conns[tx.ConnID]
	cat := categories[tx.Cat]
	var sub, merchant, category any = obj{}, nil, nil // subClass is empty, not null, outside payments
	if cat.Code != "" {
		sub = obj{"code": cat.Code, "title": cat.Title}
		category = obj{"matchType": "merchantFull", "matchScore": "0.98", "anzsic": obj{"class": obj{"code": cat.Code, "title": cat.Title}}}
	}
	clean := cleanDescription(tx.Desc)
	if cat.Merchant {
		merchant = obj{"id": x.s.hashID("merchant", clean), "businessName": clean, "ABN": "", "website": "",
			"logoMaster": "", "logoThumb": "", "phoneNumber": obj{"international": "", "local": ""}}
	}
	tags := cat.Tags
	if tags == nil {
		tags = []string{}
	}
	balance, postDate := "", any(ts(tx.Date))
	if tx.HasBalance {
		balance = cents(tx.Balance)
	}
	if tx.Status == "pending" {
		postDate = ""
	}
	base := "/users/" + userID
	return obj{"type": "transaction", "id": tx.ID, "status": tx.Status, "description": tx.Desc, "reference": tx.Ref,
		"amount": cents(tx.Amount), "currency": "AUD", "balance": balance, "direction": direction(tx.Amount), "class": tx.Class,
		"subClass": sub, "account": tx.AccountID, "connection": c.ID, "institution": c.InstitutionID,
		"postDate": postDate, "transactionDate": ts(tx.Date),
		"enrich": obj{"cleanDescription": clean, "tags": tags, "merchant": merchant, "location": nil, "category": category},
		"links": obj{"self": x.link(base + "/transactions/" + tx.ID), "account": x.link(base + "/accounts/" + tx.AccountID),
			"institution": x.link("/connectors/" + c.InstitutionID), "connection": x.link(base + "/connections/" + c.ID)}}
}

// cleanDescription turns "WOOLWORTHS 3021 SYDNEY" into "Woolworths".
func cleanDescription(desc string) string {
	var words []string
	for _, w := range strings.Fields(desc) {
		if strings.IndexFunc(w, unicode.IsDigit) >= 0 || strings.ContainsAny(w, "*/.") {
			break
		}
		words = append(words, strings.ToUpper(w[:1])+strings.ToLower(w[1:]))
		if len(words) == 3 {
			break
		}
	}
	return strings.Join(words, " ")
}

var connectorFilters = filterRules{
	"connector.id": ops("eq", "ne", "in"), "connector.method": ops("eq", "ne", "in"), "connector.status": ops("eq", "ne", "in"),
	"connector.stage": ops("eq", "ne", "in"), "connector.institution.country": ops("eq", "ne", "in"),
	"connector.institution.tier": ops("eq", "ne", "in"), "connector.institution.type": ops("eq", "ne"),
	"connector.authorization.type": ops("eq", "ne", "in"),
}

func (x *exchange) connectorView(in *institution, method string) obj {
	auth := "user"
	if in.MFA != mfaNever {
		auth = "user-mfa"
	}
	if method == "open-banking" {
		auth = "other"
	}
	scopes := []string{}
	if method == "open-banking" {
		scopes = []string{"bank:accounts.basic:read", "bank:accounts.detail:read", "bank:transactions:read", "common:customer.basic:read"}
	}
	return obj{"type": "connector", "id": in.ID, "method": publishedMethod(method), "stage": in.Stage, "status": x.s.statusOf(in),
		"institution": obj{"type": in.Type, "name": in.Name, "shortName": in.ShortName, "tier": in.Tier, "country": in.Country,
			"logo": obj{"type": "image", "colors": obj{"primary": "#1A4DD8"}, "links": obj{"square": x.link("/logos/" + in.ID + ".svg"), "full": x.link("/logos/" + in.ID + "-full.svg")}}},
		"scopes": scopes, "authorization": obj{"type": auth, "meta": obj{}},
		"stats": obj{"averageDurationMs": obj{"verifyCredentials": in.VerifyMs, "retrieveAccounts": in.AccountsMs,
			"retrieveTransactions": in.TransactionsMs, "retrieveMeta": 1200, "total": in.VerifyMs + in.AccountsMs + in.TransactionsMs + 1200}},
		"links": obj{"self": x.link("/connectors/" + in.ID + "/" + method)}}
}

func (s *Simulator) listConnectors(x *exchange) {
	conds, ok := x.parseFilter(x.r.URL.Query().Get("filter"), connectorFilters)
	if !ok {
		return
	}
	sameMethods(conds)
	items := []any{}
	for i := range institutions {
		in := &institutions[i]
		for _, m := range in.Methods {
			auth := x.connectorView(in, m)["authorization"].(obj)["type"].(string)
			if matchAll(conds, func(f string) string {
				return map[string]string{"connector.id": in.ID, "connector.method": publishedMethod(m), "connector.status": s.statusOf(in),
					"connector.stage": in.Stage, "connector.institution.country": in.Country, "connector.institution.tier": in.Tier,
					"connector.institution.type": in.Type, "connector.authorization.type": auth}[f]
			}) {
				items = append(items, x.connectorView(in, m))
			}
		}
	}
	x.json(http.StatusOK, obj{"type": "list", "totalCount": len(items), "data": items, "links": obj{"self": x.link(x.r.URL.Path)}})
}

func (s *Simulator) getConnector(x *exchange) {
	id, method := x.r.PathValue("connectorId"), x.r.PathValue("method")
	if method == "openbanking" {
		method = "open-banking"
	}
	in := findInstitution(id)
	if in == nil || !in.hasMethod(method) {
		x.notFound("Requested connector does not exist.")
		return
	}
	x.json(http.StatusOK, x.connectorView(in, method))
}

// publishedMethod spells an access method as Basiq's OpenAPI files do in
// connection and connector objects: "openbanking" (data.yml's connection
// list example and connector enum). Filters and paths accept either
// spelling, as the docs' own calls use "open-banking".
func publishedMethod(m string) string {
	if m == "open-banking" {
		return "openbanking"
	}
	return m
}

// sameMethods lets a connector.method filter name Open Banking either way.
func sameMethods(conds []cond) {
	for i := range conds {
		if conds[i].Field == "connector.method" {
			for k, v := range conds[i].Values {
				conds[i].Values[k] = publishedMethod(v)
			}
		}
	}
}
