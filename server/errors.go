package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error in the shape of OpenAI's API: the status it is sent
// with and the body {"error":{"message","type","param","code"}}.
type apiError struct {
	status  int
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) Error() string { return e.Message }

// newError builds an apiError; param and code are left null when empty.
func newError(status int, typ, param, code, format string, args ...any) *apiError {
	e := &apiError{status: status, Type: typ, Message: fmt.Sprintf(format, args...)}
	if param != "" {
		e.Param = &param
	}
	if code != "" {
		e.Code = &code
	}
	return e
}

// badRequest is a 400 about the request field param ("" for the request as
// a whole).
func badRequest(param, format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "invalid_request_error", param, "", format, args...)
}

// errorBody is what an apiError is sent as, alone or as an SSE event.
type errorBody struct {
	Error *apiError `json:"error"`
}

// writeError sends e as a JSON response.
func writeError(w http.ResponseWriter, e *apiError) {
	switch e.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="zhi"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, errorBody{e})
}

// writeJSON sends v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		// Every response type here marshals; reaching this is a bug, and
		// the client still gets an error in the expected shape.
		status = http.StatusInternalServerError
		body, _ = marshal(errorBody{internalError(err)})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// marshal is json.Marshal without escaping <, > and &, as OpenAI's API
// writes them: token texts such as <|eot_id|> stay readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// internalError is the 500 for what should never happen.
func internalError(err error) *apiError {
	return newError(http.StatusInternalServerError, "server_error", "", "internal_error", "internal error: %v", err)
}
