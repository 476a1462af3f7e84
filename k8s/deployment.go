package k8s

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hardenedbuild/hardened/spec"
)

// TmpDir is the one writable path: distroless nonroot programs (and Go's os.TempDir) expect
// /tmp, which a read-only root does not give them.
const TmpDir = "/tmp"

// Options name what the spec does not say.
type Options struct {
	// Name is the Deployment's, the container's and the app.kubernetes.io/name label's value.
	Name string
	// Image is the reference the container runs; a digest-pinned one is best.
	Image string
}

// Deployment is apps/v1 Deployment, with only the fields this package writes.
type Deployment struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   ObjectMeta     `yaml:"metadata"`
	Spec       DeploymentSpec `yaml:"spec"`
}

// ObjectMeta is metadata.
type ObjectMeta struct {
	Name   string            `yaml:"name,omitempty"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

// DeploymentSpec is a Deployment's spec.
type DeploymentSpec struct {
	Replicas int             `yaml:"replicas"`
	Selector LabelSelector   `yaml:"selector"`
	Template PodTemplateSpec `yaml:"template"`
}

// LabelSelector selects pods by labels.
type LabelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

// PodTemplateSpec is the pod a Deployment makes.
type PodTemplateSpec struct {
	Metadata ObjectMeta `yaml:"metadata"`
	Spec     PodSpec    `yaml:"spec"`
}

// PodSpec is a pod's spec.
type PodSpec struct {
	AutomountServiceAccountToken *bool              `yaml:"automountServiceAccountToken,omitempty"`
	SecurityContext              PodSecurityContext `yaml:"securityContext"`
	Containers                   []Container        `yaml:"containers"`
	Volumes                      []Volume           `yaml:"volumes,omitempty"`
}

// PodSecurityContext is the pod-level security context.
type PodSecurityContext struct {
	RunAsNonRoot   *bool           `yaml:"runAsNonRoot,omitempty"`
	RunAsUser      *int64          `yaml:"runAsUser,omitempty"`
	RunAsGroup     *int64          `yaml:"runAsGroup,omitempty"`
	FSGroup        *int64          `yaml:"fsGroup,omitempty"`
	SeccompProfile *SeccompProfile `yaml:"seccompProfile,omitempty"`
}

// SeccompProfile names the seccomp profile.
type SeccompProfile struct {
	Type string `yaml:"type"`
}

// Container is one container of a pod.
type Container struct {
	Name            string                   `yaml:"name"`
	Image           string                   `yaml:"image,omitempty"`
	Ports           []ContainerPort          `yaml:"ports,omitempty"`
	SecurityContext ContainerSecurityContext `yaml:"securityContext"`
	VolumeMounts    []VolumeMount            `yaml:"volumeMounts,omitempty"`
	LivenessProbe   *Probe                   `yaml:"livenessProbe,omitempty"`
	ReadinessProbe  *Probe                   `yaml:"readinessProbe,omitempty"`
}

// ContainerPort is a port the container listens on.
type ContainerPort struct {
	ContainerPort int    `yaml:"containerPort"`
	Protocol      string `yaml:"protocol"`
}

// ContainerSecurityContext is a container's security context.
type ContainerSecurityContext struct {
	RunAsNonRoot             *bool           `yaml:"runAsNonRoot,omitempty"`
	AllowPrivilegeEscalation *bool           `yaml:"allowPrivilegeEscalation"`
	Privileged               *bool           `yaml:"privileged,omitempty"`
	ReadOnlyRootFilesystem   *bool           `yaml:"readOnlyRootFilesystem"`
	Capabilities             Capabilities    `yaml:"capabilities"`
	SeccompProfile           *SeccompProfile `yaml:"seccompProfile,omitempty"`
}

// Capabilities lists capabilities to drop (and never to add).
type Capabilities struct {
	Drop []string `yaml:"drop"`
}

// VolumeMount mounts a pod volume into a container.
type VolumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
}

// Volume is a pod volume; only emptyDir, which the restricted profile allows.
type Volume struct {
	Name     string   `yaml:"name"`
	EmptyDir EmptyDir `yaml:"emptyDir"`
}

// EmptyDir is a scratch directory that lives as long as the pod.
type EmptyDir struct {
	SizeLimit string `yaml:"sizeLimit,omitempty"`
}

// Probe is an exec probe, or an httpGet one (probe.go).
type Probe struct {
	Exec                *ExecAction    `yaml:"exec,omitempty"`
	HTTPGet             *HTTPGetAction `yaml:"httpGet,omitempty"`
	InitialDelaySeconds int            `yaml:"initialDelaySeconds,omitempty"`
	PeriodSeconds       int            `yaml:"periodSeconds,omitempty"`
	TimeoutSeconds      int            `yaml:"timeoutSeconds,omitempty"`
	FailureThreshold    int            `yaml:"failureThreshold,omitempty"`
}

// ExecAction runs a command in the container, without a shell.
type ExecAction struct {
	Command []string `yaml:"command"`
}

// Docker's healthcheck defaults, which the image's healthcheck runs with when the spec leaves
// them out; the probes use them too, so Kubernetes judges the container as the image would.
const (
	defaultInterval = 30 * time.Second
	defaultTimeout  = 30 * time.Second
	defaultRetries  = 3
)

// dnsLabel is what Kubernetes accepts as a container name (RFC 1123 label).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// NewDeployment returns the Deployment of a spec that spec.Load returned (validated, defaulted).
func NewDeployment(s *spec.Spec, o Options) (*Deployment, error) {
	if !dnsLabel.MatchString(o.Name) || len(o.Name) > 63 {
		return nil, fmt.Errorf("name %q is not a Kubernetes name; use at most 63 lowercase letters, digits and -, e.g. %s", o.Name, Name(o.Name))
	}
	if o.Image == "" {
		return nil, fmt.Errorf("no image; pass the reference the cluster pulls, e.g. registry.example.com/%s@sha256:...", o.Name)
	}
	pod, err := NewPodSpec(s, o.Name)
	if err != nil {
		return nil, err
	}
	c := &pod.Containers[0]
	c.Image = o.Image
	for _, p := range s.Expose {
		port, proto, _ := strings.Cut(p, "/")
		n, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("expose: %q is not a port", p)
		}
		if proto == "" {
			proto = "tcp"
		}
		c.Ports = append(c.Ports, ContainerPort{ContainerPort: n, Protocol: strings.ToUpper(proto)})
	}
	if h := healthcheckOf(s); h != nil {
		live, err := probe(h)
		if err != nil {
			return nil, err
		}
		ready := *live
		ready.InitialDelaySeconds = 0
		c.LivenessProbe, c.ReadinessProbe = live, &ready
	}
	labels := map[string]string{"app.kubernetes.io/name": o.Name}
	return &Deployment{
		APIVersion: "apps/v1",
		Kind:       "Deployment",
		Metadata:   ObjectMeta{Name: o.Name, Labels: labels},
		Spec: DeploymentSpec{
			Replicas: 1,
			Selector: LabelSelector{MatchLabels: labels},
			Template: PodTemplateSpec{Metadata: ObjectMeta{Labels: labels}, Spec: *pod},
		},
	}, nil
}

// NewPodSpec returns only what the restricted profile is about: the pod's and the container's
// security context, the /tmp volume and its mount, for merging into a pod spec of one's own.
func NewPodSpec(s *spec.Spec, container string) (*PodSpec, error) {
	uid, gid := s.UID(), s.GID()
	if uid <= 0 || gid < 0 {
		return nil, fmt.Errorf("user %q is not a non-root uid[:gid]", s.User)
	}
	seccomp := &SeccompProfile{Type: "RuntimeDefault"}
	psc := PodSecurityContext{
		RunAsNonRoot:   ptr(true),
		RunAsUser:      ptr(int64(uid)),
		RunAsGroup:     ptr(int64(gid)),
		SeccompProfile: seccomp,
	}
	if gid != 0 {
		// Volumes that support ownership become the app's group's; gid 0 would give them to root's.
		psc.FSGroup = ptr(int64(gid))
	}
	pod := &PodSpec{
		AutomountServiceAccountToken: ptr(false),
		SecurityContext:              psc,
		Containers: []Container{{
			Name: container,
			SecurityContext: ContainerSecurityContext{
				RunAsNonRoot:             ptr(true),
				AllowPrivilegeEscalation: ptr(false),
				Privileged:               ptr(false),
				ReadOnlyRootFilesystem:   ptr(true),
				Capabilities:             Capabilities{Drop: []string{"ALL"}},
				SeccompProfile:           seccomp,
			},
			VolumeMounts: []VolumeMount{{Name: "tmp", MountPath: TmpDir}},
		}},
		Volumes: []Volume{{Name: "tmp", EmptyDir: EmptyDir{}}},
	}
	// runtime.writable: what the build's test ran with as tmpfs, the rest of the root read-only.
	for i, w := range s.Runtime.Writable {
		if w == TmpDir {
			continue
		}
		name := fmt.Sprintf("writable-%d", i)
		pod.Containers[0].VolumeMounts = append(pod.Containers[0].VolumeMounts, VolumeMount{Name: name, MountPath: w})
		pod.Volumes = append(pod.Volumes, Volume{Name: name, EmptyDir: EmptyDir{}})
	}
	return pod, nil
}

// probe turns the image's healthcheck into an exec probe with the same timing.
func probe(h *spec.Healthcheck) (*Probe, error) {
	seconds := func(field, v string, def time.Duration) (int, error) {
		d := def
		if v != "" {
			var err error
			if d, err = time.ParseDuration(v); err != nil {
				return 0, fmt.Errorf("healthcheck.%s: %v", field, err)
			}
		}
		// Kubernetes counts whole seconds, at least one.
		return int(math.Max(1, math.Ceil(d.Seconds()))), nil
	}
	period, err := seconds("interval", h.Interval, defaultInterval)
	if err != nil {
		return nil, err
	}
	timeout, err := seconds("timeout", h.Timeout, defaultTimeout)
	if err != nil {
		return nil, err
	}
	p := &Probe{
		Exec:             execOrHTTP(h),
		HTTPGet:          httpGet(h),
		PeriodSeconds:    period,
		TimeoutSeconds:   timeout,
		FailureThreshold: defaultRetries,
	}
	if h.Retries > 0 {
		p.FailureThreshold = h.Retries
	}
	if h.StartPeriod != "" {
		if p.InitialDelaySeconds, err = seconds("start_period", h.StartPeriod, 0); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Name makes a Kubernetes name of any text: lowercase, runs of other characters as one -,
// at most 63 characters; "app" when nothing is left.
func Name(text string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(text) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	n := b.String()
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	if n == "" {
		return "app"
	}
	return n
}

// Marshal writes v as YAML with two-space indentation, fields in the order the types declare
// them and map keys sorted, so the same input gives the same bytes.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func ptr[T any](v T) *T { return &v }
