package guard

import (
	"encoding/json"
	"strings"
)

// markDone records a create as done at Basiq with result, its arguments
// no longer kept and its outcome line not yet written: the line goes to
// this process's audit file, from its present length, and until Outcome
// marks it written the create is among Unwritten.
func (i *Idempotency) markDone(id string, rec *Record, result json.RawMessage) {
	rec.State, rec.Result, rec.Call, rec.Unaudited = StateDone, result, nil, true
	rec.Writer = i.lines.lineWriter(i.now())
	if tool, key, ok := strings.Cut(id, "\x00"); ok {
		i.unwritten.Store(id, Abandoned{Tool: tool, Key: key, Since: i.now(), Result: result, Mine: rec.Writer != nil})
	}
}

// Unwritten lists the done creates whose outcome line this process is to
// write and has not marked written, each with Since the time it was done:
// its own calls whose Outcome found the key's lease held elsewhere or
// could not mark the record, and those a process on the same audit file
// left behind (AdoptOwnLines).
func (i *Idempotency) Unwritten() []Abandoned {
	var out []Abandoned
	i.unwritten.Range(func(_, v any) bool {
		out = append(out, v.(Abandoned))
		return true
	})
	return out
}

// AdoptOwnLines takes over the done creates whose line was being written
// to this process's audit file when the process writing it stopped (a
// restart on the same volume, or another process sharing the file): only
// a process of that file can tell whether the line got there. Run at
// start; a store that does not answer is tried again by the caller.
func (i *Idempotency) AdoptOwnLines() error {
	return i.store.ScanRecords("", func(id string, rec Record) bool {
		tool, key, ok := strings.Cut(id, "\x00")
		if ok && tool != "lease" && rec.State == StateDone && rec.Unaudited && i.ownFile(rec.Writer) {
			i.unwritten.Store(id, Abandoned{Tool: tool, Key: key, Since: rec.Writer.At, Result: rec.Result, Mine: true})
		}
		return true
	})
}

// Outcome writes a done create's outcome line, once: under the key's
// lease, only while the record says it is not written, and then records
// that it is. It reports whether write ran; false when the line was
// written already (or is found in this process's audit file, appended by
// a process killed before it could say so), when it was begun in another
// audit file less than LineOwnerGrace ago (that file's processes write
// it), or when another process holds the key (the create stays among
// Unwritten, for a later try).
func (i *Idempotency) Outcome(tool, key, attempt string, write func(result json.RawMessage)) (bool, error) {
	id := Key(tool) + "\x00" + key
	defer i.keys.lock(id)()
	stop, held := i.takeOver(id)
	if !held {
		return false, nil
	}
	defer stop()
	rec, found, err := i.current(id)
	if err != nil {
		return false, err
	}
	if !found || rec.State != StateDone || !rec.Unaudited {
		i.unwritten.Delete(id)
		return false, nil
	}
	there, err := i.lineThere(rec.Writer, attempt)
	if err != nil {
		return false, err
	}
	if !there {
		if w := rec.Writer; w != nil && !i.ownFile(w) && i.now().Sub(w.At) < LineOwnerGrace {
			return false, nil
		}
		write(rec.Result)
	}
	rec.Unaudited, rec.Writer = false, nil
	if err := i.store.PutRecord(id, rec, IdempotencyTTL); err != nil {
		return !there, err
	}
	i.unwritten.Delete(id)
	return !there, nil
}

// ownFile reports whether w names this process's audit file.
func (i *Idempotency) ownFile(w *LineWriter) bool {
	return w != nil && i.lines != nil && i.lines.id != "" && w.File == i.lines.id
}

// lineThere reports whether the outcome line of attempt is already in this
// process's audit file, past where w says it was begun.
func (i *Idempotency) lineThere(w *LineWriter, attempt string) (bool, error) {
	if !i.ownFile(w) {
		return false, nil
	}
	return i.lines.holdsOutcome(w.From, attempt)
}
