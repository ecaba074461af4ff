package guard

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// LineWriter says which audit file a done create's outcome line is written
// to, how long that file was just before, and when. A process that later
// finds the create's record still unaudited reads that file from there
// before writing the line, so a process killed between appending the line
// and marking it written does not leave it in the audit twice.
type LineWriter struct {
	File string    `json:"file"`
	From int64     `json:"from"`
	At   time.Time `json:"at"`
}

// LineOwnerGrace is how long a line begun in another audit file (another
// replica's volume) is left for that file's own processes to look for when
// they start. After it the deployment writes the line itself, and if the
// first process had appended it before it died, it is then in both files,
// under the same attempt id.
const LineOwnerGrace = time.Hour

// auditFileID returns the id kept beside the audit file at path (in
// path.id), making one the first time. Several processes sharing the file
// share its id: any of them can read what the others appended.
func auditFileID(path string) (string, error) {
	idPath := path + ".id"
	if b, err := os.ReadFile(idPath); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	b := make([]byte, 12)
	rand.Read(b)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".audit-id-*")
	if err != nil {
		return "", fmt.Errorf("guard: audit file id: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString("f-" + hex.EncodeToString(b) + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("guard: audit file id: %w", err)
	}
	_ = os.Link(tmp.Name(), idPath) // the first process to link wins; the rest read its id
	got, err := os.ReadFile(idPath)
	if err != nil || len(bytes.TrimSpace(got)) == 0 {
		return "", fmt.Errorf("guard: audit file id %s could not be read: %v", idPath, err)
	}
	return string(bytes.TrimSpace(got)), nil
}

// lineWriter names this audit's file and its length now, for an outcome
// line about to be written; nil when the audit keeps no file (stderr and
// stdout cannot be read back).
func (a *Audit) lineWriter(now time.Time) *LineWriter {
	if a == nil || a.f == nil || a.id == "" {
		return nil
	}
	st, err := a.f.Stat()
	if err != nil {
		return nil
	}
	return &LineWriter{File: a.id, From: st.Size(), At: now.UTC()}
}

// holdsOutcome reports whether the audit file has, from offset from on, a
// "created" line of attempt. A file shorter than from was rotated or cut,
// and is read from its start.
func (a *Audit) holdsOutcome(from int64, attempt string) (bool, error) {
	f, err := os.Open(a.path)
	if err != nil {
		return false, fmt.Errorf("guard: reading the audit file back: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() < from {
		from = 0
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return false, fmt.Errorf("guard: reading the audit file back: %w", err)
	}
	needle := []byte(`"attempt":"` + attempt + `"`)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if !bytes.Contains(sc.Bytes(), needle) {
			continue
		}
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Attempt == attempt && e.Decision == "created" {
			return true, nil
		}
	}
	return false, sc.Err()
}
