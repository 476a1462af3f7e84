package rebase

import "testing"

func TestCompareDebian(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int // sign
	}{
		{"2.41-12", "2.41-12", 0},
		{"2.36-9+deb12u10", "2.41-12", -1},
		{"2.41-12+deb13u1", "2.41-12", 1},
		{"2.41-10", "2.41-9", 1},
		{"2.41~rc1-1", "2.41-1", -1},
		{"1:2.0-1", "2.41-12", 1},
		{"2.41a-1", "2.41-1", 1},
		{"2.41.1-1", "2.41a-1", 1}, // a letter sorts before any other character
	} {
		got := compareDebian(c.a, c.b)
		if (got > 0) != (c.want > 0) || (got < 0) != (c.want < 0) {
			t.Errorf("compareDebian(%q, %q) = %d, want sign %d", c.a, c.b, got, c.want)
		}
	}
}

func TestSpecEnvAndMerge(t *testing.T) {
	old := []string{"PATH=/usr/bin", "SSL_CERT_FILE=/a", "LANG=C"}
	image := []string{"PATH=/usr/bin", "SSL_CERT_FILE=/a", "LANG=C.UTF-8", "ADDR=:8080"} // the spec set LANG and ADDR
	got := mergeEnv([]string{"PATH=/usr/local/bin:/usr/bin", "LANG=C", "TZ=UTC"}, specEnv(old, image))
	want := "PATH=/usr/local/bin:/usr/bin LANG=C.UTF-8 TZ=UTC ADDR=:8080"
	if s := join(got); s != want {
		t.Errorf("env %s, want %s", s, want)
	}
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
