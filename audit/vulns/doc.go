// Package vulns runs an external vulnerability scanner (trivy or grype, whichever is on PATH)
// on an image and reads the CVE counts by severity from its documented JSON output. The
// scanners bring their own databases; nothing here downloads one.
package vulns
