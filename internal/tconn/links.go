package tconn

import (
	"net/url"
	"os"
	"strings"
)

// DefaultUI is the Web UI when neither --ui nor $LAZARUS_UI_ADDRESS says.
const DefaultUI = "http://localhost:8233"

// UIBase returns the Web UI base URL: cfg.UI, else $LAZARUS_UI_ADDRESS, else
// http://localhost:8233.
func UIBase(ui string) string {
	if ui == "" {
		ui = os.Getenv("LAZARUS_UI_ADDRESS")
	}
	if ui == "" {
		ui = DefaultUI
	}
	return strings.TrimRight(ui, "/")
}

// NamespaceURL is the Web UI page of a namespace.
func NamespaceURL(ui, namespace string) string {
	return UIBase(ui) + "/namespaces/" + url.PathEscape(namespace)
}

// WorkflowURL is the Web UI page of a workflow.
func WorkflowURL(ui, namespace, workflowID string) string {
	return NamespaceURL(ui, namespace) + "/workflows/" + url.PathEscape(workflowID)
}

// ListURL is the Web UI's workflow list filtered by a visibility query.
func ListURL(ui, namespace, query string) string {
	return NamespaceURL(ui, namespace) + "/workflows?query=" + url.QueryEscape(query)
}
