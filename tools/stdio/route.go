package stdio

import "encoding/json"

// envelope is what the read loop needs of a message to route it (route).
type envelope struct {
	ID       json.RawMessage
	Method   string
	Result   json.RawMessage
	hasError bool
	// jsonrpc is the version when written plainly; params is left as
	// it is; odd is true for a key JSON-RPC does not define (both only for
	// a direct call: see callDirect).
	jsonrpc string
	params  json.RawMessage
	odd     bool
}

// route reads what the loop needs to route a message from its top-level
// keys, without decoding the rest: the id, the method, and whether it
// carries a result or an error (a response). Params, usually the bulk of
// a message, are skipped over. ok is false for anything that is not one
// well-formed object with plain keys; such a message is handed to the
// server as it is, which decodes it fully and answers what is wrong.
func route(msg []byte) (env envelope, ok bool) {
	ok = members(msg, func(key string, value []byte) bool {
		switch key {
		case "id":
			env.ID = json.RawMessage(value)
		case "method":
			if !plainString(value) {
				return json.Unmarshal(value, &env.Method) == nil
			}
			env.Method = string(value[1 : len(value)-1])
		case "result":
			env.Result = json.RawMessage(value)
		case "error":
			env.hasError = true
		case "jsonrpc":
			if plainString(value) {
				env.jsonrpc = string(value[1 : len(value)-1])
			}
		case "params":
			env.params = json.RawMessage(value)
		default:
			env.odd = true
		}
		return true
	})
	return env, ok
}

// members calls f with each member of a JSON object whose keys are
// written without escapes, and reports false for anything else (an
// escaped key is left to the full decoder) or when f does. Values are
// skipped over, not decoded (skipValue).
func members(obj []byte, f func(key string, value []byte) bool) bool {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return false
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return skipSpace(obj, i+1) == len(obj)
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return false
		}
		keyEnd := i + 1
		for keyEnd < len(obj) && obj[keyEnd] != '"' && obj[keyEnd] != '\\' {
			keyEnd++
		}
		if keyEnd >= len(obj) || obj[keyEnd] != '"' {
			return false
		}
		key := string(obj[i+1 : keyEnd])
		i = skipSpace(obj, keyEnd+1)
		if i >= len(obj) || obj[i] != ':' {
			return false
		}
		start := skipSpace(obj, i+1)
		end, good := skipValue(obj, start)
		if !good || !f(key, obj[start:end]) {
			return false
		}
		i = skipSpace(obj, end)
		switch {
		case i < len(obj) && obj[i] == ',':
			i = skipSpace(obj, i+1)
		case i < len(obj) && obj[i] == '}':
			return skipSpace(obj, i+1) == len(obj)
		default:
			return false
		}
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i. It checks
// the nesting and strings, not every literal: the server's decoder sees
// the message whole and refuses what is malformed.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return end, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i, true
}

// skipString returns the end of the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return i, false
}

// plainString reports whether v is a quoted string of printable ASCII
// without escapes, whose text is what lies between its quotes.
func plainString(v []byte) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return false
	}
	for _, c := range v[1 : len(v)-1] {
		if c < 0x20 || c >= 0x7f || c == '\\' || c == '"' {
			return false
		}
	}
	return true
}
