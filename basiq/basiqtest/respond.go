package basiqtest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// exchange is one request being answered, with what every handler needs.
type exchange struct {
	s    *Simulator
	w    http.ResponseWriter
	r    *http.Request
	tok  *simToken
	base string // scheme://host, for absolute links
	now  time.Time
}

type obj = map[string]any

type errSource struct {
	Parameter string `json:"parameter,omitempty"`
	Pointer   string `json:"pointer,omitempty"`
}

func (x *exchange) json(status int, v any) {
	writeJSON(x.w, status, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "simulator: encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError answers in Basiq's error envelope with a fresh correlation id.
func writeError(w http.ResponseWriter, status int, code, title, detail string, src *errSource) {
	item := obj{"type": "error", "code": code, "title": title, "detail": detail}
	if src != nil {
		item["source"] = src
	}
	writeJSON(w, status, obj{"type": "list", "correlationId": newUUID(), "data": []any{item}})
}

func (x *exchange) fail(status int, code, title, detail string, src *errSource) {
	writeError(x.w, status, code, title, detail, src)
}

func (x *exchange) notFound(detail string) {
	x.fail(http.StatusNotFound, "resource-not-found", "Requested resource is not found", detail, nil)
}

func (x *exchange) badParam(param, detail string) {
	x.fail(http.StatusBadRequest, "parameter-not-valid", "Parameter value is not valid", detail, &errSource{Parameter: param})
}

func (x *exchange) missingParam(param, detail string) {
	x.fail(http.StatusBadRequest, "parameter-not-supplied", "Required parameter not supplied", detail, &errSource{Parameter: param})
}

func (x *exchange) badFilter() {
	x.badParam("filter", "The provided filter parameter is in invalid format or unsupported")
}

func (x *exchange) tooMany(detail string, retry time.Duration) {
	if retry > 0 {
		x.w.Header().Set("Retry-After", fmt.Sprint(int(retry.Seconds()+0.999)))
	}
	x.fail(http.StatusTooManyRequests, "too-many-requests", "Too many requests", detail, nil)
}

// decode reads a JSON request body into v. An empty body is allowed when
// optional is true.
func (x *exchange) decode(v any, optional bool) bool {
	if ct := x.r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			x.fail(http.StatusUnsupportedMediaType, "unsupported-content-type", "Content type is not supported",
				fmt.Sprintf("Content type %s is not supported on requested endpoint.", mt), nil)
			return false
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(x.w, x.r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		if optional && errors.Is(err, io.EOF) {
			return true
		}
		x.fail(http.StatusBadRequest, "invalid-content", "Invalid request content", "Posted content is not in valid format.", nil)
		return false
	}
	return true
}

func (x *exchange) link(path string) string { return x.base + path }

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func newToken() string {
	var b [32]byte
	rand.Read(b[:])
	return fmt.Sprintf("sim.%x", b)
}

// validID mirrors Basiq's check that a path id is well formed.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ts formats a timestamp as Basiq does (RFC 3339, UTC, no fraction).
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func cents(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// acceptable reports whether the request's Accept header allows JSON (or
// one of extra).
func acceptable(r *http.Request, extra ...string) bool {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		switch mt {
		case "*/*", "application/*", "application/json":
			return true
		}
		for _, e := range extra {
			if mt == e {
				return true
			}
		}
	}
	return false
}
