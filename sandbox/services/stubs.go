package services

import (
	"errors"
	"net/http"
)

func notYet() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotImplemented, errors.New("not implemented yet"))
	})
}

func (s *Server) catalogHandler() http.Handler   { return notYet() }
func (s *Server) identityHandler() http.Handler  { return notYet() }
func (s *Server) flagsHandler() http.Handler     { return notYet() }
func (s *Server) appsHandler() http.Handler      { return notYet() }
func (s *Server) vendorsHandler() http.Handler   { return notYet() }
func (s *Server) searchHandler() http.Handler    { return notYet() }
func (s *Server) frontDoorHandler() http.Handler { return notYet() }
func (s *Server) adminHandler() http.Handler     { return notYet() }
