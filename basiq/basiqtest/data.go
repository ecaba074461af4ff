package basiqtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

var accountFilters = filterRules{"account.id": ops("eq", "ne"), "connection.id": ops("eq", "ne"), "institution.id": ops("eq", "ne")}

var transactionFilters = filterRules{
	"account.id": ops("eq", "ne", "in"), "connection.id": ops("eq", "ne", "in"), "institution.id": ops("eq", "ne", "in"),
	"transaction.status": ops("eq"), "transaction.direction": ops("eq"), "transaction.class": ops("eq", "in"),
	"transaction.postDate": ops("eq", "gt", "gteq", "lt", "lteq", "bt"),
}

func (x *exchange) accountView(a *simAccount, c *simConn) obj {
	self := "/users/" + c.UserID + "/accounts/" + a.ID
	avail := a.Balance + a.Pending
	var limit any
	if a.Class == "credit-card" {
		avail, limit = a.Limit+a.Balance+a.Pending, cents(a.Limit)
	}
	if a.Class == "mortgage" || a.Class == "loan" {
		avail = 0
	}
	from := x.s.epoch.AddDate(-1, 0, 0)
	return obj{"type": "account", "id": a.ID, "name": a.Name, "accountNo": a.Number, "maskedNumber": "xxxxxx" + a.Number[len(a.Number)-4:],
		"bsb": a.Number[:6], "accountHolder": a.Holder, "accountOwnership": a.Ownership, "isOwned": true,
		"balance": cents(a.Balance), "availableFunds": cents(avail), "creditLimit": limit, "currency": "AUD",
		"class": obj{"type": a.Class, "product": a.Product}, "status": "available", "connection": c.ID, "institution": c.InstitutionID,
		"lastUpdated": ts(a.Updated), "creationDate": ts(a.Created),
		"transactionIntervals": []obj{{"from": from.Format("2006-01-02"), "to": a.Updated.Format("2006-01-02")}},
		"links": obj{"self": x.link(self), "transactions": x.link("/users/" + c.UserID + "/transactions?filter=" + url.QueryEscape("account.id.eq('"+a.ID+"')")),
			"connection": x.link("/users/" + c.UserID + "/connections/" + c.ID), "institution": x.link("/connectors/" + c.InstitutionID)}}
}

func (s *Simulator) listAccounts(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	conds, ok := x.parseFilter(x.r.URL.Query().Get("filter"), accountFilters)
	if !ok {
		return
	}
	items := []any{}
	for _, a := range s.userAccounts(u) {
		c := s.conns[a.ConnID]
		if matchAll(conds, func(f string) string {
			switch f {
			case "account.id":
				return a.ID
			case "connection.id":
				return c.ID
			}
			return c.InstitutionID
		}) {
			items = append(items, x.accountView(a, c))
		}
	}
	x.json(http.StatusOK, obj{"type": "list", "count": len(items), "data": items, "links": obj{"self": x.link("/users/" + u.ID + "/accounts")}})
}

func (s *Simulator) getAccount(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	id := x.r.PathValue("accountId")
	for _, a := range s.userAccounts(u) {
		if a.ID == id {
			x.json(http.StatusOK, x.accountView(a, s.conns[a.ConnID]))
			return
		}
	}
	x.notFound("Requested account does not exist.")
}

// userTxns returns every transaction of the user's connections, newest first.
func (s *Simulator) userTxns(u *simUser) []*simTxn {
	var all []*simTxn
	for _, id := range u.conns {
		c := s.conns[id]
		s.ensureData(c)
		all = append(all, c.txns...)
	}
	slices.SortStableFunc(all, func(a, b *simTxn) int {
		if c := b.Date.Compare(a.Date); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return all
}

func (s *Simulator) txnField(tx *simTxn, field string) string {
	c := s.conns[tx.ConnID]
	switch field {
	case "account.id":
		return tx.AccountID
	case "connection.id":
		return c.ID
	case "institution.id":
		return c.InstitutionID
	case "transaction.status":
		return tx.Status
	case "transaction.direction":
		return direction(tx.Amount)
	case "transaction.class":
		return tx.Class
	case "transaction.postDate":
		if tx.Status == "pending" {
			return ""
		}
		return tx.Date.Format("2006-01-02")
	}
	return ""
}

func direction(amount int64) string {
	if amount < 0 {
		return "debit"
	}
	return "credit"
}

func (s *Simulator) listTransactions(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	x.pageTxns(s.userTxns(u), u.ID, "/users/"+u.ID+"/transactions")
}

// pageTxns answers one page of txns after the request's filter and cursor.
func (x *exchange) pageTxns(txns []*simTxn, userID, path string) {
	args, ok := x.listArgs()
	if !ok {
		return
	}
	conds, ok := x.parseFilter(args.Filter, transactionFilters)
	if !ok {
		return
	}
	var picked []*simTxn
	for _, tx := range txns {
		if matchAll(conds, func(f string) string { return x.s.txnField(tx, f) }) {
			picked = append(picked, tx)
		}
	}
	x.pageN(len(picked), func(i int) any { return x.txnView(picked[i], userID) }, path, args)
}

func (s *Simulator) getTransaction(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	id := x.r.PathValue("transactionId")
	for _, tx := range s.userTxns(u) {
		if tx.ID == id {
			x.json(http.StatusOK, x.txnView(tx, u.ID))
			return
		}
	}
	x.notFound("Requested transaction does not exist.")
}
