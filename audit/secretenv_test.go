package audit

import "testing"

func TestSecretEnv(t *testing.T) {
	for _, c := range []struct {
		name, value string
		want        bool
	}{
		{"API_TOKEN", "changeme", true},
		{"DATABASE_URL", "postgres://app:hunter2@db/app", true},
		{"GREETING", "hello", false},
		{"TOKEN_FILE", "/run/secrets/token", false},
	} {
		if got := SecretEnv(c.name, c.value); got != c.want {
			t.Errorf("SecretEnv(%s=%s) = %v, want %v", c.name, c.value, got, c.want)
		}
	}
}
