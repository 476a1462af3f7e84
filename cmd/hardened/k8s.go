package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hardenedbuild/hardened/k8s"
	"github.com/hardenedbuild/hardened/spec"
)

// titleLabel names the image; its value is the default Deployment name when the spec sets it.
const titleLabel = "org.opencontainers.image.title"

// runK8s prints a Deployment for the spec's image that the restricted Pod Security Standard
// admits, or with --securitycontext-only just the pod spec fields that make it so.
func runK8s(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hardened k8s", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "hardened.yaml", "the spec")
	name := fs.String("name", "", "the Deployment and container name (default: the spec's "+titleLabel+" label, else the spec's directory)")
	image := fs.String("image", "", "the image reference the cluster pulls, best pinned by digest (default: NAME)")
	scOnly := fs.Bool("securitycontext-only", false, "print only the pod spec's securityContext, container securityContext, volumes and volumeMounts")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hardened k8s [-f hardened.yaml] [--name NAME] [--image REF] [--securitycontext-only]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	s, err := loadSpec(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *name == "" {
		*name = defaultName(s, *file)
	}
	if *image == "" && !*scOnly {
		*image = *name
		fmt.Fprintf(stderr, "hardened k8s: no --image; the container runs %q: pass the reference the cluster pulls, pinned by digest\n", *image)
	}
	for _, p := range s.Expose {
		if n, _ := strconv.Atoi(strings.SplitN(p, "/", 2)[0]); n > 0 && n < 1024 {
			fmt.Fprintf(stderr, "hardened k8s: expose %s is below 1024: uid %d binds it only where the runtime sets net.ipv4.ip_unprivileged_port_start to 0 (containerd 2, Docker); listen on a high port and map it in the Service\n", p, s.UID())
		}
	}

	var v any
	if *scOnly {
		v, err = k8s.NewPodSpec(s, *name)
	} else {
		v, err = k8s.NewDeployment(s, k8s.Options{Name: *name, Image: *image})
	}
	if err != nil {
		fmt.Fprintf(stderr, "hardened k8s: %v\n", err)
		return 1
	}
	out, err := k8s.Marshal(v)
	if err == nil {
		_, err = stdout.Write(out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hardened k8s: %v\n", err)
		return 1
	}
	return 0
}

// defaultName is the image title label, else the spec's directory, made a Kubernetes name.
func defaultName(s *spec.Spec, file string) string {
	if t := s.Labels[titleLabel]; t != "" {
		return k8s.Name(t)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "app"
	}
	return k8s.Name(filepath.Base(filepath.Dir(abs)))
}
