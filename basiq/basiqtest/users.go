package basiqtest

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

const authLinkLifetime = 30 * 24 * time.Hour // Basiq's 2026 docs: 30 days

var (
	emailRe  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	mobileRe = regexp.MustCompile(`^\+?[0-9]{8,15}$`)
)

type userBody struct {
	Email            string `json:"email"`
	Mobile           string `json:"mobile"`
	FirstName        string `json:"firstName"`
	MiddleName       string `json:"middleName"`
	LastName         string `json:"lastName"`
	BusinessName     string `json:"businessName"`
	BusinessIDNo     string `json:"businessIdNo"`
	BusinessIDNoType string `json:"businessIdNoType"`
}

// pathUser finds the {userId} of the path, answering 400 or 404 if it cannot.
func (x *exchange) pathUser() *simUser {
	id := x.r.PathValue("userId")
	if !validID(id) {
		x.badParam("userId", "User ID value is not valid")
		return nil
	}
	u := x.s.users[id]
	if u == nil {
		x.notFound("Requested user does not exist.")
		return nil
	}
	return u
}

func (x *exchange) validUserBody(b userBody) bool {
	switch {
	case b.Email != "" && !emailRe.MatchString(b.Email):
		x.fail(http.StatusBadRequest, "parameter-not-valid", "Parameter value is not valid", "Provided email is in bad format.", &errSource{Parameter: "email", Pointer: "user/email"})
	case b.Mobile != "" && !mobileRe.MatchString(b.Mobile):
		x.fail(http.StatusBadRequest, "parameter-not-valid", "Parameter value is not valid", "Provided mobile is in bad format.", &errSource{Parameter: "mobile", Pointer: "user/mobile"})
	case b.BusinessIDNo != "" && b.BusinessName == "":
		x.missingParam("businessName", "Business name is required when business number is provided.")
	case b.BusinessIDNoType != "" && b.BusinessIDNoType != "ABN" && b.BusinessIDNoType != "ACN":
		x.badParam("businessIdNoType", "Business ID number type must be ABN or ACN.")
	default:
		return true
	}
	return false
}

func (x *exchange) userView(u *simUser) obj {
	conns, accts := []any{}, []any{}
	for _, c := range x.s.activeConns(u) {
		conns = append(conns, obj{"type": "connection", "id": c.ID, "links": obj{"self": x.link("/users/" + u.ID + "/connections/" + c.ID)}})
	}
	for _, a := range x.s.userAccounts(u) {
		accts = append(accts, obj{"type": "account", "id": a.ID, "links": obj{"self": x.link("/users/" + u.ID + "/accounts/" + a.ID)}})
	}
	base := "/users/" + u.ID
	v := obj{"type": "user", "id": u.ID, "email": u.Email, "mobile": u.Mobile, "firstName": u.First, "middleName": u.Middle,
		"lastName": u.Last, "name": u.name(),
		"connections": obj{"type": "list", "count": len(conns), "data": conns},
		"accounts":    obj{"type": "list", "count": len(accts), "data": accts},
		"links": obj{"self": x.link(base), "accounts": x.link(base + "/accounts"), "connections": x.link(base + "/connections"),
			"transactions": x.link(base + "/transactions"), "auth_link": x.link(base + "/auth_link")}}
	if u.BusinessName != "" {
		v["businessName"], v["businessIdNo"], v["businessIdNoType"] = u.BusinessName, u.BusinessIDNo, u.BusinessType
	}
	return v
}

func (s *Simulator) createUser(x *exchange) {
	var b userBody
	if !x.decode(&b, false) || !x.validUserBody(b) {
		return
	}
	if b.Email == "" && b.Mobile == "" {
		x.missingParam("email", "One of 'email' or 'mobile' is required.")
		return
	}
	u := &simUser{ID: s.nextID("user"), Email: b.Email, Mobile: b.Mobile, First: b.FirstName, Middle: b.MiddleName, Last: b.LastName,
		BusinessName: b.BusinessName, BusinessIDNo: b.BusinessIDNo, BusinessType: b.BusinessIDNoType, Created: x.now}
	s.users[u.ID] = u
	s.userOrder = append(s.userOrder, u.ID)
	s.emit(x.now, "user", "created", u.ID, "/users/"+u.ID, nil)
	x.json(http.StatusCreated, x.userView(u))
}

func (s *Simulator) getUser(x *exchange) {
	if u := x.pathUser(); u != nil {
		x.json(http.StatusOK, x.userView(u))
	}
}

func (s *Simulator) updateUser(x *exchange) {
	u := x.pathUser()
	var b userBody
	if u == nil || !x.decode(&b, false) || !x.validUserBody(b) {
		return
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&u.Email, b.Email)
	set(&u.Mobile, b.Mobile)
	set(&u.First, b.FirstName)
	set(&u.Middle, b.MiddleName)
	set(&u.Last, b.LastName)
	set(&u.BusinessName, b.BusinessName)
	set(&u.BusinessIDNo, b.BusinessIDNo)
	set(&u.BusinessType, b.BusinessIDNoType)
	s.emit(x.now, "user", "updated", u.ID, "/users/"+u.ID, nil)
	x.json(http.StatusOK, x.userView(u))
}

func (s *Simulator) deleteUser(x *exchange) {
	u := x.pathUser()
	if u == nil {
		return
	}
	for _, id := range u.conns {
		delete(s.conns, id)
	}
	delete(s.users, u.ID)
	delete(s.authLinks, u.ID)
	delete(s.consents, u.ID)
	s.userOrder = slices.DeleteFunc(s.userOrder, func(id string) bool { return id == u.ID })
	s.emit(x.now, "user", "deleted", u.ID, "/users/"+u.ID, nil)
	x.w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) listUsers(x *exchange) {
	if s.cfg.noUserList {
		x.fail(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "GET is not supported on /users.", nil)
		return
	}
	args, ok := x.listArgs()
	if !ok {
		return
	}
	if args.Filter != "" { // Basiq documents user filters as "coming soon"
		x.badFilter()
		return
	}
	items := make([]any, 0, len(s.userOrder))
	for _, id := range s.userOrder {
		u := s.users[id]
		items = append(items, obj{"type": "user", "id": u.ID, "email": u.Email, "mobile": u.Mobile, "firstName": u.First,
			"lastName": u.Last, "createdTime": ts(u.Created), "links": obj{"self": x.link("/users/" + u.ID)}})
	}
	x.page(items, "/users", args)
}

func (x *exchange) authLinkView(l *simAuthLink, withID bool) obj {
	v := obj{"type": "auth_link", "userId": l.UserID, "mobile": l.Mobile, "expiresAt": ts(l.Expires),
		"links": obj{"public": x.link("/sandbox/connect/" + l.ID), "self": "/users/" + l.UserID + "/auth_link"}}
	if withID {
		v["id"] = l.ID
	}
	return v
}

func (s *Simulator) createAuthLink(x *exchange) {
	u := x.pathUser()
	var b struct {
		Mobile string `json:"mobile"`
	}
	if u == nil || !x.decode(&b, true) {
		return
	}
	mobile := strings.TrimSpace(b.Mobile)
	if mobile == "" {
		mobile = u.Mobile
	}
	switch {
	case mobile == "":
		x.missingParam("mobile", "A mobile number is required: the user has none, so pass one in the body.")
		return
	case !mobileRe.MatchString(mobile):
		x.fail(http.StatusBadRequest, "parameter-not-valid", "Parameter value is not valid", "Provided mobile is in bad format.", &errSource{Parameter: "mobile"})
		return
	}
	l := &simAuthLink{ID: s.nextID("link")[:8], UserID: u.ID, Mobile: mobile, Created: x.now, Expires: x.now.Add(authLinkLifetime)}
	s.authLinks[u.ID] = l // replaces, and so invalidates, any earlier link
	x.json(http.StatusCreated, x.authLinkView(l, false))
}

// liveAuthLink returns the user's usable link, answering 404 or 410 if none.
func (x *exchange) liveAuthLink(u *simUser) *simAuthLink {
	l := x.s.authLinks[u.ID]
	switch {
	case l == nil:
		x.notFound("Requested auth link does not exist.")
	case l.Deleted || !x.now.Before(l.Expires):
		x.fail(http.StatusGone, "resource-no-longer-available", "Requested resource is no longer available",
			"The auth link has expired or was deleted. Create a new one.", nil)
	default:
		return l
	}
	return nil
}

func (s *Simulator) getAuthLink(x *exchange) {
	if u := x.pathUser(); u != nil {
		if l := x.liveAuthLink(u); l != nil {
			x.json(http.StatusOK, x.authLinkView(l, true))
		}
	}
}

func (s *Simulator) deleteAuthLink(x *exchange) {
	if u := x.pathUser(); u != nil {
		if l := x.liveAuthLink(u); l != nil {
			l.Deleted = true
			x.w.WriteHeader(http.StatusNoContent)
		}
	}
}
