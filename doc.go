// Package streetdesk holds the domain of StreetDesk: work orders (工单) as the
// city's 12345 platform dispatches them to a street office, their lifecycle,
// roles, deadlines on working days, the duty taxonomy (职责清单), typed errors,
// the sync protocol's wire shapes and the application-service interfaces that
// the GUI and the CLI share.
//
// It imports only the standard library. Adapters live in subpackages, one per
// outside dependency: localdb (SQLite), sync (HTTP client and engine),
// platform (the reference platform server) and ui (Fyne).
package streetdesk
