package basiqtest

import (
	"net/http"
	"time"
)

const eventRetention = 7 * 24 * time.Hour

// eventTypes are the event type ids Basiq documents, with our descriptions.
var eventTypes = []struct{ ID, Description string }{
	{"user.created", "A user was created."},
	{"user.updated", "A user's details changed."},
	{"user.deleted", "A user was deleted."},
	{"connection.created", "A connection was created."},
	{"connection.updated", "A connection changed (events API only)."},
	{"connection.deleted", "A connection was deleted."},
	{"connection.activated", "A connection became active."},
	{"connection.invalidated", "A connection became invalid and needs the user to act."},
	{"account.updated", "An account was added or changed."},
	{"transactions.updated", "New transactions were retrieved."},
	{"consent.created", "A consent was granted."},
	{"consent.updated", "A consent changed."},
	{"consent.revoked", "A consent was revoked."},
	{"consent.expired", "A consent expired."},
}

// emit records an event; dataRef is a path on the simulator.
func (s *Simulator) emit(at time.Time, entity, typ, userID, dataRef string, data map[string]any) {
	if data == nil {
		data = obj{"type": entity, "userId": userID}
	}
	e := &simEvent{ID: s.nextID("event"), Entity: entity, Type: typ, UserID: userID, DataRef: dataRef, Created: at, Data: data}
	s.events = append(s.events, e)
	s.deliver(e)
}

func (s *Simulator) connEventData(c *simConn) map[string]any {
	return obj{"type": "connection", "id": c.ID, "status": c.Status, "createdDate": ts(c.Created), "lastUsed": ts(c.LastUsed),
		"mfaEnabled": findInstitution(c.InstitutionID).MFA != mfaNever, "institution": obj{"type": "institution", "id": c.InstitutionID}}
}

func (x *exchange) eventView(e *simEvent) obj {
	return obj{"type": "event", "id": e.ID, "createdDate": ts(e.Created), "entity": e.Entity, "eventType": e.Type,
		"userId": e.UserID, "dataRef": x.link(e.DataRef), "data": e.Data, "links": obj{"self": x.link("/events/" + e.ID)}}
}

var eventFilters = filterRules{"user.id": ops("eq"), "event.entity": ops("eq"), "event.type": ops("eq")}

func (s *Simulator) listEvents(x *exchange) {
	args, ok := x.listArgs()
	if !ok {
		return
	}
	conds, ok := x.parseFilter(args.Filter, eventFilters)
	if !ok {
		return
	}
	var items []any
	for i := len(s.events) - 1; i >= 0; i-- {
		e := s.events[i]
		if x.now.Sub(e.Created) > eventRetention {
			break
		}
		if matchAll(conds, func(field string) string {
			switch field {
			case "user.id":
				return e.UserID
			case "event.entity":
				return e.Entity
			}
			return e.Type
		}) {
			items = append(items, x.eventView(e))
		}
	}
	x.page(items, "/events", args)
}

func (s *Simulator) getEvent(x *exchange) {
	id := x.r.PathValue("id")
	for _, e := range s.events {
		if e.ID == id && x.now.Sub(e.Created) <= eventRetention {
			x.json(http.StatusOK, x.eventView(e))
			return
		}
	}
	x.notFound("Requested event does not exist.")
}

func (s *Simulator) listEventTypes(x *exchange) {
	items := make([]any, len(eventTypes))
	for i, t := range eventTypes {
		items[i] = obj{"type": "eventType", "id": t.ID, "description": t.Description, "links": obj{"self": x.link("/events/types/" + t.ID)}}
	}
	x.json(http.StatusOK, obj{"type": "list", "data": items, "links": obj{"self": x.link("/events/types")}})
}

func (s *Simulator) getEventType(x *exchange) {
	id := x.r.PathValue("id")
	for _, t := range eventTypes {
		if t.ID == id {
			x.json(http.StatusOK, obj{"type": "eventType", "id": t.ID, "description": t.Description, "links": obj{"self": x.link("/events/types/" + t.ID)}})
			return
		}
	}
	x.notFound("Requested event type does not exist.")
}
