package main

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hardenedbuild/hardened/dockerfile"
	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

// dockerfilePath is the Dockerfile init migrates from: -f's, else DIR/Dockerfile when there is one.
func dockerfilePath(flagValue, dir string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := filepath.Join(dir, "Dockerfile"); isRegular(p) {
		return p
	}
	return ""
}

func isRegular(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// goBinaryName names the binary of a Dockerfile's `go build` as the go language names an artifact's,
// from its manifests in dir (an unreadable one reads as missing).
func goBinaryName(dir string) func(pkg string) string {
	l, ok := registry.Lookup("go")
	if !ok {
		return spec.ArtifactName
	}
	files, _ := dockerfile.ReadFiles(dir, l.Inputs().Manifests)
	return func(pkg string) string { return l.ArtifactName(pkg, files) }
}

// migrate reads the Dockerfile and carries what it says over into the detection.
func migrate(det *detection, name, out, dir string) error {
	m, err := readDockerfile(name, det.language, det.Artifacts, goBinaryName(dir))
	if err != nil {
		return err
	}
	det.mig = m
	if det.Comments == nil {
		det.Comments = map[string]string{}
	}
	if det.language == "go" && len(m.goBuilds) > 0 {
		first := m.goBuilds[0]
		arts := slices.DeleteFunc(slices.Clone(det.Artifacts), func(a string) bool { return a == first })
		det.Artifacts = append([]string{first}, arts...)
		det.Comments["artifacts"] = fmt.Sprintf("The main packages; %s first (the entrypoint), as %s builds it.", first, m.file)
	}
	m.runtimeFiles = m.contextFiles(dir, det.Artifacts)
	if m.version != "" {
		old, oldComment := det.Version, det.Comments["version"]
		det.Version, det.Comments["version"] = m.version, fmt.Sprintf("From %s's FROM %s.", m.file, m.versionTag)
		if _, err := builderImage(det, out, dir); err != nil {
			det.Version, det.Comments["version"] = old, oldComment
			if !sameMajor(det, out, dir, m.version) {
				m.notef("FROM %s: %v", m.versionTag, err)
			}
		}
	}
	m.alignPort(det)
	m.program(det, out, dir)
	for _, f := range []struct {
		field, instr string
		set          bool
	}{{"expose", "EXPOSE", len(m.expose) > 0}, {"env", "ENV (without secrets)", len(m.env) > 0}, {"workdir", "WORKDIR", m.workdir != ""},
		{"user", "USER", m.user != ""}, {"cmd", "ENTRYPOINT and CMD arguments", len(m.cmd) > 0},
		{"healthcheck", "HEALTHCHECK, in exec form", m.health != nil}} {
		if f.set {
			det.Comments[f.field] = fmt.Sprintf("From %s's %s.", m.file, f.instr)
		}
	}
	return nil
}

// sameMajor says a major-only builder tag (golang:1, python:3) is the major the spec's own builder
// has already: that major's newest, so nothing is lost in not carrying it over (node:18 is lost).
func sameMajor(det *detection, out, dir, version string) bool {
	if strings.Contains(version, ".") {
		return false
	}
	req, err := builderImage(det, out, dir)
	if err != nil {
		return false
	}
	_, tag, _ := strings.Cut(imageTag(req.Ref), ":")
	major, _, _ := strings.Cut(tag, ".")
	major, _, _ = strings.Cut(major, "-")
	return major == version
}

// alignPort makes a server entrypoint init chose listen on the port the Dockerfile exposes, which the
// team's deployment sends traffic to, instead of the server's default: one EXPOSE, one port argument.
func (m *migration) alignPort(det *detection) {
	from := entrypointPort(det.Entrypoint)
	if len(m.expose) != 1 || from == "" {
		return
	}
	to, proto, _ := strings.Cut(m.expose[0], "/")
	if proto == "udp" || to == from {
		return
	}
	for i, a := range det.Entrypoint {
		switch {
		case a == from:
			det.Entrypoint[i] = to
		case strings.HasSuffix(a, ":"+from):
			det.Entrypoint[i] = strings.TrimSuffix(a, from) + to
		}
	}
	if c := det.Comments["entrypoint"]; c != "" {
		det.Comments["entrypoint"] = strings.ReplaceAll(c, "port "+from, "port "+to+" ("+m.file+"'s EXPOSE)")
	}
}

// program keeps the Dockerfile's ENTRYPOINT and CMD arguments when they run the entry the spec does,
// and notes them when they run something else.
func (m *migration) program(det *detection, out, dir string) {
	full := append(slices.Clone(m.entrypoint), m.cmd...)
	m.entrypoint, m.cmd = nil, nil
	if len(full) > 0 && slices.Contains(initWrappers, path.Base(full[0])) {
		n := 1
		if i := slices.Index(full, "--"); i > 0 {
			n = i + 1
		}
		m.notef("ENTRYPOINT %s: an init the image does not have; the app runs as PID 1 (docker run --init adds one where it must reap children)", strings.Join(full[:n], " "))
		full = full[n:]
	}
	if len(full) == 0 {
		return
	}
	s, err := spec.Load(out, []byte(det.yaml()), registry.SpecOptions()...)
	if err != nil {
		return
	}
	files, _ := dockerfile.ReadContextFiles(s, dir)
	entry := plan.EntrypointOf(s, files)
	orig := strings.Join(full, " ")
	if det.language == "node" && slices.Contains([]string{"npm", "yarn", "pnpm", "npx", "corepack"}, full[0]) {
		m.notef("ENTRYPOINT/CMD %s: a package manager, which the image does not have, starts the app there; the entrypoint runs %s, what init found the scripts run", orig, strings.Join(entry, " "))
		return
	}
	for i, a := range full {
		switch {
		case i == 0 && det.language == "node" && (a == "node" || a == "nodejs"):
			full[i] = entry[0]
		case !path.IsAbs(a) && i < len(entry) && det.language == "node":
			full[i] = path.Join("/app", a)
		}
	}
	if len(full) >= len(entry) && slices.Equal(full[:len(entry)], entry) {
		m.cmd = full[len(entry):]
		return
	}
	m.notef("ENTRYPOINT/CMD %s: not the entry init found (%s); write entrypoint: if the image should run it", orig, strings.Join(entry, " "))
}

// yaml writes the fields the Dockerfile gave, and what it could not carry over as comments.
func (m *migration) yaml(b *strings.Builder, field func(name, value string)) {
	if len(m.expose) > 0 {
		field("expose", yamlList(m.expose))
	}
	if len(m.env) > 0 {
		var e strings.Builder
		for _, k := range slices.Sorted(maps.Keys(m.env)) {
			e.WriteString("\n  " + k + ": " + strconv.Quote(m.env[k]))
		}
		field("env", e.String())
	}
	if m.workdir != "" && m.workdir != spec.DefaultWorkdir {
		field("workdir", m.workdir)
	}
	if m.user != "" {
		field("user", strconv.Quote(m.user))
	}
	if len(m.cmd) > 0 {
		field("cmd", yamlList(m.cmd))
	}
	if h := m.health; h != nil {
		v := "\n  test: " + yamlList(h.Test)
		for _, kv := range [][2]string{{"interval", h.Interval}, {"timeout", h.Timeout}, {"start_period", h.StartPeriod}} {
			if kv[1] != "" {
				v += "\n  " + kv[0] + ": " + kv[1]
			}
		}
		if h.Retries > 0 {
			v += "\n  retries: " + strconv.Itoa(h.Retries)
		}
		field("healthcheck", v)
	}
	if len(m.runtimeFiles) > 0 {
		field("runtime", "\n  files: "+yamlList(m.runtimeFiles))
	}
	if len(m.libs) > 0 {
		b.WriteString("# " + m.file + "'s final stage installs these with apt; uncomment the shared libraries the app loads:\n")
		b.WriteString("# runtime:\n#   libs: " + yamlList(m.libs) + "\n")
	}
	if len(m.notes) > 0 {
		b.WriteString("# Not carried over from " + m.file + ":\n")
		for _, n := range m.notes {
			// A note may quote a multi-line error; every line stays a comment.
			b.WriteString("#   " + strings.ReplaceAll(n, "\n", "\n#   ") + "\n")
		}
	}
}
