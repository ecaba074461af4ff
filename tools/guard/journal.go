package guard

import "time"

// Journal remembers which deliveries (webhook ids) were processed, for a
// day, so a repeated delivery is answered without being processed twice.
type Journal struct {
	store Store
	now   func() time.Time
}

// journalTTL is how long a delivery id is remembered: Basiq's retries of
// one message span about a day and a half (5 s … 10 h twice).
const journalTTL = 48 * time.Hour

// NewJournal keeps the journal in store.
func NewJournal(store Store, now func() time.Time) *Journal {
	if now == nil {
		now = time.Now
	}
	return &Journal{store: store, now: now}
}

// Seen reports whether id was processed; a store that does not answer is
// an error (the delivery is then refused, and Basiq retries it).
func (j *Journal) Seen(id string) (bool, error) {
	key := Key("delivery", id)
	rec, claimed, err := j.store.Claim(key, Record{State: "probe", Created: j.now().UTC()}, journalTTL)
	if err != nil {
		return false, err
	}
	if claimed { // nothing was there: take the probe back
		return false, j.store.DeleteRecord(key)
	}
	return rec.State == StateDone, nil
}

// Done records that id was processed.
func (j *Journal) Done(id string) error {
	return j.store.PutRecord(Key("delivery", id), Record{State: StateDone, Created: j.now().UTC()}, journalTTL)
}
