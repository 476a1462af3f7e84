package rebase

import "fmt"

// Refusal is why an image is not rebased and what to do instead; every refusal names the image
// (or base) and its digest.
type Refusal struct {
	Image, Digest string
	Reason, Do    string
}

func (r *Refusal) Error() string {
	at := r.Image
	if r.Digest != "" {
		at += "@" + r.Digest
	}
	return fmt.Sprintf("%s: cannot rebase: %s; %s", at, r.Reason, r.Do)
}

// rebuild is the advice for everything rebase will not do.
const rebuild = "rebuild it with the frontend on the new base (pin it in hardened.lock, or --build-context base=docker-image://REF@DIGEST)"

func refuse(image, digest, do, format string, args ...any) *Refusal {
	return &Refusal{Image: image, Digest: digest, Reason: fmt.Sprintf(format, args...), Do: do}
}
