package services

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/jackc/pgx/v5"
)

// errorBody is every service's error answer.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorBody{Error: err.Error()})
}

// errNotFound marks an answer 404.
var errNotFound = errors.New("not found")

// errConflict marks an answer 409.
var errConflict = errors.New("conflict")

// errBadRequest marks an answer 400.
var errBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotFound, fmt.Sprintf(format, args...))
}

// StatusError is an error that says its own HTTP status (e.g. a hook's
// "invalid input" error answering 400).
type StatusError interface {
	error
	HTTPStatus() int
}

// fail answers err with the status its kind says.
func fail(w http.ResponseWriter, err error) {
	var se StatusError
	switch {
	case errors.As(err, &se) && se.HTTPStatus() >= 400:
		writeError(w, se.HTTPStatus(), err)
	case errors.Is(err, errNotFound), errors.Is(err, pgx.ErrNoRows):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, errConflict):
		writeError(w, http.StatusConflict, err)
	case errors.Is(err, errBadRequest):
		writeError(w, http.StatusBadRequest, err)
	default:
		writeError(w, http.StatusInternalServerError, err)
	}
}

// decode reads a JSON body of at most 4 MiB into v, rejecting unknown fields.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("request body: %v", err)
	}
	return nil
}
