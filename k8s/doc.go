// Package k8s writes a Kubernetes Deployment for a hardened image that the "restricted" Pod
// Security Standard admits: non-root with the spec's numeric uid and gid, no privilege
// escalation, every capability dropped, the RuntimeDefault seccomp profile, a read-only root
// filesystem with an emptyDir at /tmp, and no service account token. The Kubernetes types are
// the few fields it writes, as small ordered structs, so the output is the same bytes every time
// and the module does not depend on k8s.io.
package k8s
