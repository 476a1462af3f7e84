package frontend

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
)

// defaultFilename makes hardened.yaml the file read when the build names none, where
// the Dockerfile conventions would look for "Dockerfile".
type defaultFilename struct{ gwclient.Client }

func withDefaultFilename(c gwclient.Client) gwclient.Client { return defaultFilename{c} }

// CurrentFrontend passes on the wrapped client's (see selfImage).
func (c defaultFilename) CurrentFrontend() (*bkllb.State, error) {
	if cf, ok := c.Client.(currentFrontend); ok {
		return cf.CurrentFrontend()
	}
	return nil, nil
}

func (c defaultFilename) BuildOpts() gwclient.BuildOpts {
	o := c.Client.BuildOpts()
	if o.Opts["filename"] == "" {
		o.Opts = maps.Clone(o.Opts)
		if o.Opts == nil {
			o.Opts = map[string]string{}
		}
		o.Opts["filename"] = DefaultFilename
	}
	return o
}

// sourceDateEpoch reads the SOURCE_DATE_EPOCH build arg (seconds since 1970).
func sourceDateEpoch(args map[string]string) (*time.Time, error) {
	v, ok := args["SOURCE_DATE_EPOCH"]
	if !ok || v == "" {
		return nil, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return nil, fmt.Errorf("build arg SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970; write e.g. --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%%ct)", v)
	}
	t := time.Unix(sec, 0).UTC()
	return &t, nil
}

// defaultEpoch makes builds reproducible without flags: the commit time of a git
// context (or Last-Modified of an HTTP one), else the Unix epoch, as ko and apko do.
func defaultEpoch(ctx context.Context, bc *dockerui.Client) *time.Time {
	if t, err := bc.ResolveMainContextSourceDateEpoch(ctx); err == nil && t != nil {
		u := t.UTC()
		return &u
	}
	t := time.Unix(0, 0).UTC()
	return &t
}

// proxyEnv passes the proxy build args to the builder the way the Dockerfile frontend
// does: as proxy settings of the exec, which never reach the image config or cache keys.
func proxyEnv(args map[string]string) *bkllb.ProxyEnv {
	get := func(k string) string {
		if v, ok := args[k]; ok {
			return v
		}
		return args[strings.ToLower(k)]
	}
	p := bkllb.ProxyEnv{
		HTTPProxy:  get("HTTP_PROXY"),
		HTTPSProxy: get("HTTPS_PROXY"),
		FTPProxy:   get("FTP_PROXY"),
		NoProxy:    get("NO_PROXY"),
		AllProxy:   get("ALL_PROXY"),
	}
	if p == (bkllb.ProxyEnv{}) {
		return nil
	}
	return &p
}
