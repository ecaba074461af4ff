package guard

import "time"

// Amend writes what an event reported at time at into a customer's kept
// triage, with fn. A triage confirmed a second or more after at already
// holds it, and a customer with no kept triage has nothing to amend (their
// first read takes it in with the rest): both leave the store as it is and
// report false. Basiq dates events to the second, so an event in the
// second of the read is written: the read may have missed it, and writing
// a fact twice changes nothing.
func (d *Directory) Amend(id string, at time.Time, fn func(*Triage)) (bool, error) {
	u, found, err := d.store.GetUser(id)
	if err != nil || !found || u.Triage == nil || u.Triage.Version != TriageVersion || at.Before(u.Triage.Confirmed.Truncate(time.Second)) {
		return false, err
	}
	fn(u.Triage)
	return true, d.store.PutUsers(u)
}

// Know adds a customer the directory has not met, by id alone (an event
// named them; Basiq's 3.0 API lists no users, so events are how the index
// learns of customers created elsewhere). A known customer is left as is.
func (d *Directory) Know(id string) error {
	if id == "" {
		return nil
	}
	_, found, err := d.store.GetUser(id)
	if err != nil || found {
		return err
	}
	return d.store.PutUsers(KnownUser{ID: id, Seen: d.now().UTC()})
}

// Unsettled lists the customers an event changed after their triage was
// confirmed: the background scan reads them before the rest.
func (d *Directory) Unsettled() ([]string, error) {
	var ids []string
	err := d.store.ScanUsers(func(u KnownUser) bool {
		if u.Triage != nil && u.Triage.Unsettled() {
			ids = append(ids, u.ID)
		}
		return true
	})
	return ids, err
}

// knowBatch bounds one store write of KnowAll.
const knowBatch = 1000

// KnowAll adds the customers the directory has not met, by id alone, in
// writes of a thousand, and says how many were new. A support team's own
// list of its customers fills the index this way where Basiq lists none.
func (d *Directory) KnowAll(ids []string) (added int, err error) {
	known := map[string]bool{}
	if err := d.store.ScanUsers(func(u KnownUser) bool { known[Key(u.ID)] = true; return true }); err != nil {
		return 0, err
	}
	now := d.now().UTC()
	var batch []KnownUser
	for i, id := range ids {
		if id != "" && !known[Key(id)] {
			known[Key(id)] = true
			batch = append(batch, KnownUser{ID: id, Seen: now})
		}
		if len(batch) == knowBatch || i == len(ids)-1 && len(batch) > 0 {
			if err := d.store.PutUsers(batch...); err != nil {
				return added, err
			}
			added, batch = added+len(batch), nil
		}
	}
	return added, nil
}
