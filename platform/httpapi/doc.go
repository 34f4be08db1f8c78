// Package httpapi is the client of the platform's HTTP (JSON) services: it
// implements platform.Catalog, platform.Directory, platform.Vendors,
// platform.Search, platform.FrontDoor and platform.Truth over the service
// URLs of a platform description (the sandbox serves them from
// sandbox/services).
//
// It must never retry (Temporal retries activities) and never hold restore
// logic. Its errors carry the HTTP status and body; IsNotFound and
// IsPermanent tell activities which errors retrying cannot fix.
package httpapi
