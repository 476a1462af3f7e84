package audit

// SecretEnv says whether an environment variable holds a secret by the rules HX-SECRET-ENV checks an
// image with: its name (API_TOKEN) or its value (a token format, URL credentials).
func SecretEnv(name, value string) bool {
	return secretName(name, value) || len(findValueSecrets(value)) > 0
}
