package basiq

import (
	"reflect"
	"testing"
)

// pageShapes are list bodies of the shapes the tolerant reader exists
// for, and well-formed ones.
var pageShapes = []string{
	`{"type":"list","count":2,"size":2,"data":[{"type":"transaction","id":"t1","amount":"-10.50","description":"A"},{"type":"transaction","id":"t2","amount":"3","description":"B"}],"links":{"self":"x","next":"y"}}`,
	`{"type":"list","count":"2","data":[{"type":"transaction","id":"t1","amount":-10.5}]}`,
	`{"type":"list","data":[null,{"type":"transaction","id":"t2","amount":"1.00"}]}`,
	`{"type":"list","data":[{}]}`,
	`{"type":"list","data":["t1",{"type":"transaction","id":"t2"}]}`,
	`{"type":"list","data":[{"type":"transaction","id":7,"amount":"1.00","postDate":"2026-01-02"}]}`,
	`{"type":"list","data":[{"type":"transaction","id":"t1","class":"payment","transactionDate":"2026-01-02T03:04:05Z"}]}`,
	`{"type":"list"}`,
	`[{"type":"transaction","id":"t1","amount":"1.00"}]`,
	`{"type":"list","data":[{"type":"transaction","id":"t1","amount":{"value":"1"}}]}`,
	`{"type":"list","data":{}}`,
	`null`,
	`{"data":[{"type":"transaction","id":"t1"}],"totalCount":"12"}`,
}

// TestOnePassPagesReadAsTheTolerantReaderDid: every shape decodes to the
// same page, records, skipped records and counts, whether or not the
// one-pass reading takes it.
func TestOnePassPagesReadAsTheTolerantReaderDid(t *testing.T) {
	for _, body := range pageShapes {
		checkSamePage(t, []byte(body))
	}
}

// FuzzOnePassPages holds the same for any body.
func FuzzOnePassPages(f *testing.F) {
	for _, body := range pageShapes {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) { checkSamePage(t, []byte(body)) })
}

func checkSamePage(t *testing.T, body []byte) {
	t.Helper()
	var now, before List[Transaction]
	errNow := decodeLenient(body, &now)
	errBefore := decodeTolerant(body, &before)
	if (errNow == nil) != (errBefore == nil) || !reflect.DeepEqual(now, before) {
		t.Errorf("%s:\n now    %+v (%v)\n before %+v (%v)", body, now, errNow, before, errBefore)
	}
}
