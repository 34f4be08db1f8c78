package httpapi

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrNotFound is matched (errors.Is) by every 404 answer.
var ErrNotFound = errors.New("not found")

// ErrConflict is matched by every 409 answer.
var ErrConflict = errors.New("conflict")

// ErrBadRequest is matched by every 400 answer.
var ErrBadRequest = errors.New("bad request")

// HTTPError is a service's non-2xx answer.
type HTTPError struct {
	Service string
	Method  string
	URL     string
	Status  int
	// Message is the service's error text (or the raw body).
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s: %s %s: HTTP %d %s: %s", e.Service, e.Method, e.URL, e.Status, http.StatusText(e.Status), e.Message)
}

// Is lets errors.Is match ErrNotFound, ErrConflict and ErrBadRequest.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest
	}
	return false
}

// IsNotFound says whether err is a 404 answer.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsPermanent says whether retrying the same request cannot help: a 4xx
// answer other than 408 (timeout) and 429 (too many requests), or 501 (the
// server does not implement the request at all).
func IsPermanent(err error) bool {
	var he *HTTPError
	if !errors.As(err, &he) {
		return false
	}
	if he.Status == http.StatusNotImplemented {
		return true
	}
	return he.Status >= 400 && he.Status < 500 && he.Status != http.StatusRequestTimeout && he.Status != http.StatusTooManyRequests
}

// StatusOf is the HTTP status of err, or 0 when it is not an HTTP answer.
func StatusOf(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}
