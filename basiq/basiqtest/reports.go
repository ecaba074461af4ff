package basiqtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	reportsPerDay   = 1000
	reportLifetime  = 14 * 24 * time.Hour
	reportStepMs    = 2500
	maxReportUsers  = 5
	maxReportTitle  = 50
	reportCreatedBy = "Basiq Simulator"
)

type reportTypeDef struct {
	ID, Name, Description string
	Filters               []obj
	Enabled               bool
}

func rf(name, typ string, required bool) obj {
	return obj{"name": name, "type": typ, "required": required}
}

var reportTypes = []reportTypeDef{
	{"CON_AFFOR_01", "Consumer Affordability Report", "Income, expenses, commitments and risk indicators computed from a user's transactions.",
		[]obj{rf("fromDate", "string", true), rf("toDate", "string", true), rf("accounts", "array", true), rf("users", "array", true),
			rf("includeGroups", "array", false), rf("includeMetrics", "array", false)}, true},
	{"STATEMENT_01", "Bank Statement", "A statement of one account over a date range: balances and every transaction.",
		[]obj{rf("fromDate", "string", true), rf("toDate", "string", false), rf("account", "string", true), rf("user", "string", true)}, true},
	{"BUS_AFFOR_01", "Business Affordability Report", "Affordability of a business; must be enabled for the partner account.",
		[]obj{rf("fromDate", "string", true), rf("toDate", "string", true), rf("accounts", "array", true), rf("users", "array", true)}, false},
}

func (x *exchange) reportTypeView(t reportTypeDef) obj {
	return obj{"type": "report", "id": t.ID, "name": t.Name, "description": t.Description, "filters": t.Filters}
}

func (s *Simulator) listReportTypes(x *exchange) {
	items := []any{}
	for _, t := range reportTypes {
		items = append(items, x.reportTypeView(t))
	}
	x.json(http.StatusOK, obj{"type": "list", "count": len(items), "data": items})
}

func (s *Simulator) getReportType(x *exchange) {
	id := x.r.PathValue("reportTypeId")
	for _, t := range reportTypes {
		if t.ID == id {
			x.json(http.StatusOK, x.reportTypeView(t))
			return
		}
	}
	x.notFound("Requested report type does not exist.")
}

type reportRequest struct {
	ReportType string         `json:"reportType"`
	Title      string         `json:"title"`
	Filters    []reportFilter `json:"filters"`
}

// reportArgs is a validated report request.
type reportArgs struct {
	from, to                 time.Time
	users, accounts, metrics []string
	groups                   []string
	metricsNull, groupsNull  bool
}

func (s *Simulator) createReport(x *exchange) {
	var req reportRequest
	if !x.decode(&req, false) {
		return
	}
	i := slices.IndexFunc(reportTypes, func(t reportTypeDef) bool { return t.ID == req.ReportType })
	switch {
	case req.ReportType == "":
		x.missingParam("reportType", "reportType is required.")
		return
	case i < 0:
		x.badParam("reportType", "Report type "+req.ReportType+" is not supported.")
		return
	case !reportTypes[i].Enabled:
		x.fail(http.StatusForbidden, "forbidden-access", "Access to this resource is forbidden",
			"Please contact us to have your API key enabled for "+reportTypes[i].Name+".", nil)
		return
	case strings.TrimSpace(req.Title) == "" || utf8.RuneCountInString(req.Title) > maxReportTitle:
		x.badParam("title", "Title is required and cannot be longer than 50 characters.")
		return
	}
	args, ok := x.reportArgs(reportTypes[i], req.Filters)
	if !ok || !s.allowReport(x) {
		return
	}
	r := &simReport{ID: s.nextID("report"), Title: req.Title, Type: req.ReportType, CreatedBy: reportCreatedBy,
		Created: x.now, Expires: x.now.Add(reportLifetime), Filters: req.Filters}
	s.reports[r.ID] = r
	j := &simJob{ID: s.nextID("job"), UserID: args.users[0], Kind: "report", ReportID: r.ID, Created: x.now, Updated: x.now, startAt: x.now,
		Steps: []*simStep{{Title: "create-report", Status: "pending", Dur: s.scaled(reportStepMs * time.Millisecond)}}}
	r.args = args
	s.startJob(j)
	x.json(http.StatusAccepted, jobRef(x, j))
}

func (s *Simulator) allowReport(x *exchange) bool {
	if ok, retry := admit(&s.reportTimes, x.now, 24*time.Hour, reportsPerDay); !ok {
		x.tooMany("Report limit reached: at most 1,000 reports per day.", retry)
		return false
	}
	return true
}

// reportArgs validates filters against the type: names, required ones,
// shapes, dates, users (at most 5, each with an active consent), accounts.
func (x *exchange) reportArgs(t reportTypeDef, filters []reportFilter) (reportArgs, bool) {
	var a reportArgs
	seen := map[string]bool{}
	for _, f := range filters {
		def := slices.IndexFunc(t.Filters, func(d obj) bool { return d["name"] == f.Name })
		if def < 0 || seen[f.Name] {
			x.badParam("filters", fmt.Sprintf("Filter %q is unknown or repeated for report type %s.", f.Name, t.ID))
			return a, false
		}
		seen[f.Name] = true
	}
	for _, d := range t.Filters {
		if d["required"] == true && !seen[d["name"].(string)] {
			x.missingParam("filters", fmt.Sprintf("Filter %q is required for report type %s.", d["name"], t.ID))
			return a, false
		}
	}
	a.to = x.now
	for _, f := range filters {
		if !x.reportFilter(&a, f) {
			return a, false
		}
	}
	if a.to.Before(a.from) {
		x.badParam("filters", "toDate must be after or equal to fromDate")
		return a, false
	}
	return a, x.checkReportSubjects(a)
}

func (x *exchange) reportFilter(a *reportArgs, f reportFilter) bool {
	str, isStr := f.Value.(string)
	list, listErr := stringList(f.Value)
	switch f.Name {
	case "fromDate", "toDate":
		t, err := time.Parse("2006-01-02", str)
		if !isStr || err != nil {
			x.badParam("filters", f.Name+" must be a date in YYYY-MM-DD format.")
			return false
		}
		if f.Name == "fromDate" {
			a.from = t
		} else {
			a.to = t.Add(day - time.Second)
		}
	case "user", "account":
		if !isStr || str == "" {
			x.badParam("filters", f.Name+" must be one id.")
			return false
		}
		if f.Name == "user" {
			a.users = []string{str}
		} else {
			a.accounts = []string{str}
		}
	case "users", "accounts", "includeMetrics", "includeGroups":
		if listErr && f.Value != nil || f.Value == nil && (f.Name == "users" || f.Name == "accounts") {
			x.badParam("filters", f.Name+" must be a list of ids.")
			return false
		}
		if dup := firstDuplicate(list); dup != "" {
			x.badParam("filters", fmt.Sprintf("%s contains %q more than once.", f.Name, dup))
			return false
		}
		switch f.Name {
		case "users":
			a.users = list
		case "accounts":
			a.accounts = list
		case "includeMetrics":
			a.metrics, a.metricsNull = list, f.Value == nil
		case "includeGroups":
			a.groups, a.groupsNull = list, f.Value == nil
		}
	}
	return true
}

func (x *exchange) checkReportSubjects(a reportArgs) bool {
	if len(a.users) == 0 || len(a.users) > maxReportUsers {
		x.badParam("filters", "A report covers 1 to 5 users.")
		return false
	}
	owned := map[string]bool{}
	for _, id := range a.users {
		u := x.s.users[id]
		if u == nil {
			x.notFound("Requested user does not exist.")
			return false
		}
		if !x.s.hasActiveConsent(id, x.now) {
			x.badParam("filters", "user doesn't have an active consent")
			return false
		}
		for _, acc := range x.s.userAccounts(u) {
			owned[acc.ID] = true
		}
	}
	for _, id := range a.accounts {
		if !owned[id] {
			x.badParam("filters", "Account "+id+" does not belong to the report's users.")
			return false
		}
	}
	return true
}

func stringList(v any) ([]string, bool) {
	raw, ok := v.([]any)
	if !ok {
		return nil, true
	}
	out := make([]string, 0, len(raw))
	for _, e := range raw {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, true
		}
		out = append(out, s)
	}
	return out, false
}

func firstDuplicate(list []string) string {
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s] {
			return s
		}
		seen[s] = true
	}
	return ""
}

// finishReport computes the report's data from the transactions as they are
// when the job's step ends.
func (s *Simulator) finishReport(j *simJob, at time.Time) {
	r := s.reports[j.ReportID]
	if r == nil {
		return
	}
	if r.Type == "STATEMENT_01" {
		r.Data, r.txns = s.statementData(r)
	} else {
		r.Data, r.txns = s.affordabilityData(r.args)
	}
	r.Ready = true
	s.reportOrder = append(s.reportOrder, r.ID)
}

func (x *exchange) reportView(r *simReport, withData bool) obj {
	v := obj{"type": "report", "id": r.ID, "title": r.Title, "reportType": r.Type, "createdDate": ts(r.Created),
		"createdBy": r.CreatedBy, "expiresAt": ts(r.Expires), "filters": r.Filters, "links": obj{"self": x.link("/reports/" + r.ID)}}
	if withData {
		v["data"] = r.Data
	}
	return v
}

func (s *Simulator) listReports(x *exchange) {
	args, ok := x.listArgs()
	if !ok {
		return
	}
	var items []any
	for i := len(s.reportOrder) - 1; i >= 0; i-- {
		if r := s.reports[s.reportOrder[i]]; r != nil && x.now.Before(r.Expires) {
			items = append(items, x.reportView(r, false))
		}
	}
	x.page(items, "/reports", args)
}

func (x *exchange) pathReport() *simReport {
	r := x.s.reports[x.r.PathValue("id")]
	if r == nil || !r.Ready || !x.now.Before(r.Expires) {
		x.notFound("Requested report does not exist, has expired or is still being generated.")
		return nil
	}
	return r
}

func (s *Simulator) getReport(x *exchange) {
	r := x.pathReport()
	if r == nil {
		return
	}
	if strings.Contains(x.r.Header.Get("Accept"), "application/pdf") {
		x.w.Header().Set("Content-Type", "application/pdf")
		x.w.Write(reportPDF(r))
		return
	}
	x.json(http.StatusOK, x.reportView(r, true))
}

// listReportTransactions pages through the transactions snapshot a report
// was computed from.
func (s *Simulator) listReportTransactions(x *exchange) {
	if x.r.PathValue("sub") != "transactions" {
		x.s.noRoute(x.w, x.r)
		return
	}
	r := x.s.reports[x.r.PathValue("reportId")]
	if r == nil || !r.Ready || !x.now.Before(r.Expires) {
		x.notFound("Requested report does not exist, has expired or is still being generated.")
		return
	}
	x.pageTxns(r.txns, r.args.users[0], "/reports/"+r.ID+"/transactions")
}

func (s *Simulator) deleteReport(x *exchange) {
	if r := x.pathReport(); r != nil {
		delete(s.reports, r.ID)
		s.reportOrder = slices.DeleteFunc(s.reportOrder, func(id string) bool { return id == r.ID })
		x.w.WriteHeader(http.StatusNoContent)
	}
}
