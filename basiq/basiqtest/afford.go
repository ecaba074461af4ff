package basiqtest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// groupDef maps one of our transaction categories to a report group.
type groupDef struct{ ID, Title, Section, Cat string }

var groupDefs = []groupDef{
	{"INC-001", "Benefits", "Income", "benefit"}, {"INC-004", "Rental Income", "Income", "rental-income"},
	{"INC-007", "Gig Economy Income", "Income", "gig-income"}, {"INC-009", "Salary", "Income", "salary"},
	{"INC-012", "Other Income", "Income", "other-income"},
	{"EXP-001", "Rent", "Expenses", "rent"}, {"EXP-004", "Groceries", "Expenses", "groceries"},
	{"EXP-006", "Utilities", "Expenses", "utilities"}, {"EXP-007", "Telecommunications", "Expenses", "telco"},
	{"EXP-008", "Insurance", "Expenses", "insurance"}, {"EXP-009", "Transport", "Expenses", "transport"},
	{"EXP-010", "Fuel", "Expenses", "fuel"}, {"EXP-012", "Dining Out", "Expenses", "dining"},
	{"EXP-013", "Retail", "Expenses", "shopping"}, {"EXP-014", "Subscriptions", "Expenses", "subscriptions"},
	{"EXP-015", "Entertainment", "Expenses", "entertainment"}, {"EXP-016", "Travel", "Expenses", "travel"},
	{"EXP-018", "Tax", "Expenses", "tax"}, {"EXP-020", "Bank Fees", "Expenses", "fee"},
	{"LIA-001", "Mortgage Repayments", "Liabilities", "mortgage"}, {"LIA-002", "Loan Repayments", "Liabilities", "loan"},
	{"LIA-004", "Buy Now Pay Later", "Liabilities", "bnpl"},
	{"RSK-001", "Gambling", "Risk", "gambling"}, {"RSK-002", "Cash Withdrawals", "Risk", "cash"},
	{"RSK-003", "Cryptocurrency", "Risk", "crypto"}, {"RSK-004", "Dishonours", "Risk", "dishonour"},
}

var (
	nonDiscretionary = []string{"rent", "groceries", "utilities", "telco", "insurance", "transport", "fuel", "tax", "mortgage", "loan"}
	discretionary    = []string{"dining", "shopping", "entertainment", "subscriptions", "travel", "gambling", "crypto"}
	internalCats     = []string{"internal", "card-payment"}
)

// affordabilityData computes a CON_AFFOR_01 body from the report's users'
// posted transactions within the period.
func (s *Simulator) affordabilityData(a reportArgs) (obj, []*simTxn) {
	txns, accts := s.reportTxns(a)
	months := max(1, int(a.to.Sub(a.from).Hours()/24/30.44+0.5))
	sum := map[string]int64{}
	count := map[string]int{}
	sources := map[string]map[string]bool{}
	var credits, debits int64
	for _, tx := range txns {
		sum[tx.Cat] += tx.Amount
		count[tx.Cat]++
		if sources[tx.Cat] == nil {
			sources[tx.Cat] = map[string]bool{}
		}
		sources[tx.Cat][tx.Desc] = true
		if !slices.Contains(internalCats, tx.Cat) {
			if tx.Amount > 0 {
				credits += tx.Amount
			} else {
				debits += tx.Amount
			}
		}
	}
	monthly := func(cats ...string) int64 {
		var t int64
		for _, c := range cats {
			t += sum[c]
		}
		return t / int64(months)
	}
	var cardLimit, cardBalance int64
	cashAdvance := false
	for _, acc := range accts {
		if acc.Class == "credit-card" {
			cardLimit += acc.Limit
			cardBalance += acc.Balance
		}
	}
	for _, tx := range txns {
		if tx.Cat == "cash" && s.accountClass(tx) == "credit-card" {
			cashAdvance = true
		}
	}
	nonDisc, disc := -monthly(nonDiscretionary...), -monthly(discretionary...)
	outgoings := -debits / int64(months)
	other := outgoings - nonDisc - disc
	salary := sum["salary"]
	highRisk := -(sum["cash"] + sum["gambling"])
	ms := metricSet{}
	ms.add("ME001", "# of identified salary sources", "Number of salary income sources", "Income Sources", len(sources["salary"]), "integer")
	ms.add("ME002", "Average monthly amount from salary", "Mean monthly salary income", "Income Sources", cents(monthly("salary")), "money")
	ms.add("ME004", "Other possible income monthly", "Mean monthly income from sources other than salary and benefits", "Income Sources", cents(monthly("other-income", "gig-income", "rental-income")), "money")
	ms.add("ME007", "Misc government services monthly", "Mean monthly income from government benefits", "Government Services", cents(monthly("benefit")), "money")
	ms.add("ME008", "Average monthly amount", "Mean monthly repayments to lenders", "Financial Commitments", cents(monthly("mortgage", "loan", "bnpl")), "money")
	ms.add("ME009", "# of identified companies", "Number of lending relationships", "Financial Commitments", len(sources["mortgage"])+len(sources["loan"])+len(sources["bnpl"]), "integer")
	ms.add("ME010", "Total credit card limit", "Total limits of the credit card accounts", "Financial Commitments", cents(cardLimit), "money")
	ms.add("ME011", "Total credit card balance", "Total balances of the credit card accounts", "Financial Commitments", cents(cardBalance), "money")
	ms.add("ME012", "Monthly spend on non-discretionary expenses (inc. liabilities)", "Mean monthly non-discretionary spend", "Expenses", cents(-nonDisc), "money")
	ms.add("ME013", "% of spend on non-discretionary expenses", "Non-discretionary share of outgoings", "Expenses", percent(nonDisc, outgoings), "percent")
	ms.add("ME014", "Mean monthly spend on discretionary expenses", "Mean monthly discretionary spend", "Expenses", cents(-disc), "money")
	ms.add("ME015", "% of spend on discretionary expenses", "Discretionary share of outgoings", "Expenses", percent(disc, outgoings), "percent")
	ms.add("ME016", "Monthly spend on other expenses", "Mean monthly spend on everything else", "Expenses", cents(-other), "money")
	ms.add("ME018", "% of salary income withdrawn via ATM", "Cash withdrawals as a share of salary", "Risk Metrics", percent(-sum["cash"], salary), "percent")
	ms.add("ME019", "# of financial dishonours", "Dishonour transactions in the period", "Risk Metrics", count["dishonour"], "integer")
	ms.add("ME020", "% of income spent on high risk activities", "Cash and gambling as a share of income", "Risk Metrics", percent(highRisk, credits), "percent")
	ms.add("ME021", "Total spend on high risk activities", "Cash withdrawn and gambling spend in the period", "Risk Metrics", cents(-highRisk), "money")
	ms.add("ME022", "Has recent changes to income circumstances", "An income source started or stopped in the last 2 months", "Risk Flags", s.incomeChanged(txns, a.to), "boolean")
	ms.add("ME025", "Has cash advances", "Cash withdrawn from credit card accounts", "Risk Flags", cashAdvance, "boolean")
	ms.add("ME027", "Has high-cost finance", "Repayments to buy-now-pay-later lenders", "Risk Flags", count["bnpl"] > 0, "boolean")
	ms.add("ME028", "Missing non-discretionary expenses: groceries", "No grocery spending detected", "Risk Flags", count["groceries"] == 0, "boolean")
	ms.add("ME029", "Missing non-discretionary expenses: telecommunication", "No telecommunication spending detected", "Risk Flags", count["telco"] == 0, "boolean")
	ms.add("ME030", "Missing non-discretionary expenses: utilities", "No utilities spending detected", "Risk Flags", count["utilities"] == 0, "boolean")
	ms.add("ME031", "Has unemployment benefit", "Jobseeker payments received", "Risk Flags", hasDesc(txns, "JOBSEEKER"), "boolean")
	ms.add("ME033", "Average income monthly", "Mean monthly income excluding benefits", "Income Sources", cents(monthly("salary", "other-income", "gig-income", "rental-income")), "money")
	ms.add("ME034", "Average outgoings monthly", "Mean monthly outgoings", "Expenses", cents(-outgoings), "money")
	ms.add("ME040", "Average monthly credits", "Mean monthly credits excluding internal transfers", "Expenses", cents(credits/int64(months)), "money")
	ms.add("ME041", "Average monthly debits", "Mean monthly debits excluding internal transfers", "Expenses", cents(debits/int64(months)), "money")
	return obj{"metrics": ms.pick(a.metrics, a.metricsNull), "groups": s.groups(txns, a), "accounts": s.accountSummaries(accts, txns)}, txns
}

type metricSet []obj

func (m *metricSet) add(id, title, desc, section string, value any, format string) {
	*m = append(*m, obj{"id": id, "title": title, "description": desc, "sections": []string{section},
		"result": obj{"value": fmt.Sprint(value), "format": format}})
}

// pick applies includeMetrics: null for none, a list for those, else all.
func (m metricSet) pick(ids []string, none bool) []obj {
	out := []obj{}
	for _, x := range m {
		if !none && (len(ids) == 0 || slices.Contains(ids, x["id"].(string))) {
			out = append(out, x)
		}
	}
	return out
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "0.0"
	}
	return fmt.Sprintf("%.1f", float64(part)*100/float64(whole))
}

func hasDesc(txns []*simTxn, word string) bool {
	return slices.ContainsFunc(txns, func(t *simTxn) bool { return strings.Contains(t.Desc, word) })
}

func (s *Simulator) accountClass(tx *simTxn) string {
	if c := s.conns[tx.ConnID]; c != nil {
		if a := c.account(tx.AccountID); a != nil {
			return a.Class
		}
	}
	return ""
}

// incomeChanged reports an income source first or last seen within 60 days
// of the end of the period, with history before that.
func (s *Simulator) incomeChanged(txns []*simTxn, end time.Time) bool {
	first, last := map[string]time.Time{}, map[string]time.Time{}
	var start time.Time
	for _, tx := range txns {
		if start.IsZero() || tx.Date.Before(start) {
			start = tx.Date
		}
		if tx.Cat != "salary" && tx.Cat != "benefit" {
			continue
		}
		if f, ok := first[tx.Desc]; !ok || tx.Date.Before(f) {
			first[tx.Desc] = tx.Date
		}
		if tx.Date.After(last[tx.Desc]) {
			last[tx.Desc] = tx.Date
		}
	}
	edge := end.Add(-60 * day)
	for d := range first {
		if first[d].After(edge) && first[d].Sub(start) > 30*day || last[d].Before(edge) {
			return true
		}
	}
	return false
}

// reportTxns returns the posted transactions of the report's users (and
// accounts) within the period, newest first, with the accounts in scope.
func (s *Simulator) reportTxns(a reportArgs) ([]*simTxn, []*simAccount) {
	var txns []*simTxn
	var accts []*simAccount
	for _, id := range a.users {
		u := s.users[id]
		if u == nil {
			continue
		}
		for _, acc := range s.userAccounts(u) {
			if len(a.accounts) == 0 || slices.Contains(a.accounts, acc.ID) {
				accts = append(accts, acc)
			}
		}
		for _, tx := range s.userTxns(u) {
			in := len(a.accounts) == 0 || slices.Contains(a.accounts, tx.AccountID)
			if in && tx.Status == "posted" && !tx.Date.Before(a.from) && !tx.Date.After(a.to) {
				txns = append(txns, tx)
			}
		}
	}
	return txns, accts
}

// accountSummaries renders the report's accounts as Basiq's report example
// does, with transactionIntervals: the days each account's transactions in
// the report cover.
func (s *Simulator) accountSummaries(accts []*simAccount, txns []*simTxn) []obj {
	out := []obj{}
	for _, a := range accts {
		c := s.conns[a.ConnID]
		var first, last time.Time
		for _, tx := range txns {
			if tx.AccountID == a.ID {
				if first.IsZero() || tx.Date.Before(first) {
					first = tx.Date
				}
				if tx.Date.After(last) {
					last = tx.Date
				}
			}
		}
		intervals := []obj{}
		if !first.IsZero() {
			intervals = append(intervals, obj{"from": first.Format("2006-01-02"), "to": last.Format("2006-01-02")})
		}
		self := "/users/" + c.UserID + "/accounts/" + a.ID
		out = append(out, obj{"id": a.ID, "name": a.Name, "accountNo": a.Number[:6] + "-" + a.Number[6:], "currency": "AUD",
			"balance": cents(a.Balance), "availableFunds": cents(a.Balance + a.Pending), "lastUpdated": ts(a.Updated),
			"institution": c.InstitutionID, "connection": c.ID, "class": obj{"type": a.Class, "product": a.Product},
			"accountHolder": a.Holder, "accountOwnership": a.Ownership, "status": "available", "creditLimit": cents(a.Limit), "transactionIntervals": intervals,
			"links": obj{"self": self, "transactions": "/users/" + c.UserID + "/transactions?filter=account.id.eq('" + a.ID + "')",
				"institution": "/institutions/" + c.InstitutionID}})
	}
	return out
}

// groups clusters the transactions by category, with amounts, range and a
// detected frequency, and applies includeGroups.
func (s *Simulator) groups(txns []*simTxn, a reportArgs) []obj {
	out := []obj{}
	if a.groupsNull {
		return out
	}
	for _, g := range groupDefs {
		if len(a.groups) > 0 && !slices.Contains(a.groups, g.ID) {
			continue
		}
		var in []*simTxn
		for _, tx := range txns {
			if tx.Cat == g.Cat && (g.Section == "Income") == (tx.Amount > 0) {
				in = append(in, tx)
			}
		}
		if len(in) > 0 {
			out = append(out, groupView(g, in, a))
		}
	}
	return out
}

func groupView(g groupDef, txns []*simTxn, a reportArgs) obj {
	sort.Slice(txns, func(i, j int) bool { return txns[i].Date.Before(txns[j].Date) })
	var total, lo, hi int64
	amounts := make([]int64, len(txns))
	for i, tx := range txns {
		total += tx.Amount
		amounts[i] = tx.Amount
		if i == 0 || tx.Amount < lo {
			lo = tx.Amount
		}
		if i == 0 || tx.Amount > hi {
			hi = tx.Amount
		}
	}
	slices.Sort(amounts)
	months := max(1, int64(a.to.Sub(a.from).Hours()/24/30.44+0.5))
	first, last := txns[0].Date, txns[len(txns)-1].Date
	list := make([]obj, 0, len(txns))
	for i := len(txns) - 1; i >= 0 && len(list) < 50; i-- {
		list = append(list, obj{"id": txns[i].ID, "date": txns[i].Date.Format("2006-01-02"), "description": txns[i].Desc, "amount": cents(txns[i].Amount)})
	}
	analysis := obj{
		"summary": obj{"transactionCount": len(txns)},
		"range":   obj{"startDate": first.Format("2006-01-02"), "endDate": last.Format("2006-01-02"), "duration": int(last.Sub(first).Hours() / 24)},
		"amount": obj{"total": cents(total), "min": cents(lo), "max": cents(hi),
			"average": obj{"transaction": cents(total / int64(len(txns))), "month": cents(total / months), "medianTransaction": cents(amounts[len(amounts)/2])}}}
	if f := frequency(txns); f != nil { // an irregular group has no frequency
		analysis["frequency"] = f
	}
	return obj{"id": g.ID, "title": g.Title, "sections": []string{g.Section}, "analysis": analysis,
		"subgroup": []obj{{"id": g.ID + "-1", "name": strings.ToUpper(g.Title), "transactions": list}}}
}

// frequency detects a regular interval from the median gap between dates.
func frequency(txns []*simTxn) obj {
	if len(txns) < 3 {
		return nil
	}
	gaps := make([]float64, 0, len(txns)-1)
	for i := 1; i < len(txns); i++ {
		gaps = append(gaps, txns[i].Date.Sub(txns[i-1].Date).Hours()/24)
	}
	slices.Sort(gaps)
	g := gaps[len(gaps)/2]
	last := txns[len(txns)-1]
	var typ, display string
	var next time.Time
	switch {
	case g >= 6 && g <= 8:
		typ, display, next = "P1W", "Weekly", last.Date.AddDate(0, 0, 7)
	case g >= 13 && g <= 15:
		typ, display, next = "P2W", "Fortnightly", last.Date.AddDate(0, 0, 14)
	case g >= 27 && g <= 32:
		typ, display, next = "P1M", "Monthly", last.Date.AddDate(0, 1, 0)
	default:
		return nil
	}
	return obj{"type": typ, "amount": cents(last.Amount), "display": display,
		"next": obj{"date": next.Format("2006-01-02"), "amount": cents(last.Amount)}}
}

// statementData computes a STATEMENT_01 body for one account.
func (s *Simulator) statementData(r *simReport) (obj, []*simTxn) {
	txns, accts := s.reportTxns(r.args)
	u := s.users[r.args.users[0]]
	accounts := []obj{}
	for _, acc := range accts {
		c := s.conns[acc.ConnID]
		// The reports file's account: the current balance and available
		// funds as at lastUpdated; Basiq sends no opening or closing balance.
		accounts = append(accounts, obj{"type": "account", "id": acc.ID, "name": acc.Name, "accountNo": acc.Number,
			"maskedNumber": "xxxx" + acc.Number[max(0, len(acc.Number)-4):], "accountHolder": strings.ToUpper(u.name()), "isOwned": true,
			"accountOwnership": "UNKNOWN", "balance": cents(acc.Balance), "availableFunds": cents(acc.Balance + acc.Pending), "currency": "AUD",
			"class": obj{"type": acc.Class, "product": acc.Name}, "connection": c.ID, "institution": c.InstitutionID,
			"lastUpdated": ts(acc.Updated), "status": "available", "meta": obj{},
			"links": obj{"self": "/users/" + u.ID + "/accounts/" + acc.ID, "transactions": "/users/" + u.ID + "/transactions?filter=account.id.eq('" + acc.ID + "')",
				"institution": "/institutions/" + c.InstitutionID}})
	}
	return obj{"institution": obj{"name": "Basiq Simulator", "abn": "", "acn": ""},
		"identity":      obj{"fullName": u.name(), "email": u.Email, "mobile": u.Mobile},
		"accreditation": obj{"cdrAccessModel": "sandbox", "entityName": "Basiq Simulator", "title": "Simulated statement", "licenceNo": "", "description": "Generated offline from simulated data."},
		"account":       accounts, "transactions": "/reports/" + r.ID + "/transactions"}, txns
}
