package stack

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// busyboxApplets are the commands the debug stand-ins link under /busybox, a troubleshooting set of what
// distroless's debug images carry.
var busyboxApplets = []string{"sh", "ash", "cat", "cp", "env", "find", "grep", "head", "id", "less", "ls", "mkdir",
	"mv", "nslookup", "ps", "pwd", "rm", "sed", "sleep", "stat", "tail", "top", "vi", "wc", "wget", "which"}

// distrolessDebugStandIn is gcr.io/distroless/<flavor>-debian13:debug-nonroot: the flavor's layers plus
// Debian's busybox-static, with the shell and its applets under /busybox on PATH, as distroless's debug
// variants have them (static/static.bzl appends /busybox to PATH).
func distrolessDebugStandIn(f distrolessFlavor) standIn {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	repo := "gcr.io/distroless/" + string(f) + "-debian13"
	return standIn{
		name:      "distroless-" + string(f) + "-debian13-debug",
		platforms: []v1.Platform{linuxAMD64, linuxARM64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			ls, err := distrolessLayers(ctx, b, p, trixie, f, []string{"busybox-static"})
			if err != nil {
				return nil, err
			}
			return append(ls, busyboxLinksLayer()), nil
		},
		tags: []tag{{ref: repo + ":debug-nonroot", config: func(v1.Platform) v1.Config {
			return v1.Config{User: "65532", WorkingDir: "/home/nonroot", Env: env, Entrypoint: []string{"/busybox/sh"}}
		}}},
	}
}

// busyboxLinksLayer links /busybox/<applet> to Debian's /bin/busybox.
func busyboxLinksLayer() layerRecipe {
	key := append([]string{"busybox links"}, busyboxApplets...)
	return layerRecipe{
		key:       key,
		createdBy: "busybox applets linked under /busybox",
		build: func(context.Context, *builder, string) (*tree, writeOptions, error) {
			t := newTree()
			t.addDir("busybox", 0o755, 0, 0)
			t.addSymlink("busybox/busybox", "/bin/busybox")
			for _, a := range busyboxApplets {
				t.addSymlink("busybox/"+a, "/bin/busybox")
			}
			return t, writeOptions{}, nil
		},
	}
}
