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
	i := skipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return env, false
	}
	i = skipSpace(msg, i+1)
	if i < len(msg) && msg[i] == '}' {
		return env, skipSpace(msg, i+1) == len(msg)
	}
	for i < len(msg) {
		if msg[i] != '"' {
			return env, false
		}
		keyEnd := i + 1
		for keyEnd < len(msg) && msg[keyEnd] != '"' && msg[keyEnd] != '\\' {
			keyEnd++
		}
		if keyEnd >= len(msg) || msg[keyEnd] != '"' {
			return env, false // an escaped key: leave it to the full decoder
		}
		key := string(msg[i+1 : keyEnd])
		i = skipSpace(msg, keyEnd+1)
		if i >= len(msg) || msg[i] != ':' {
			return env, false
		}
		start := skipSpace(msg, i+1)
		end, good := skipValue(msg, start)
		if !good {
			return env, false
		}
		value := msg[start:end]
		switch key {
		case "id":
			env.ID = json.RawMessage(value)
		case "method":
			if !plainString(value) {
				if json.Unmarshal(value, &env.Method) != nil {
					return env, false
				}
				break
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
		i = skipSpace(msg, end)
		if i < len(msg) && msg[i] == ',' {
			i = skipSpace(msg, i+1)
			continue
		}
		if i < len(msg) && msg[i] == '}' {
			return env, skipSpace(msg, i+1) == len(msg)
		}
		return env, false
	}
	return env, false
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
