package shuffleservice

import "errors"

var (
	// ErrRefused is wrapped by every refusal: a failed authentication (a
	// wrong key, an empty secret), a name that is not allowed, an
	// application the service removed, too many applications.
	ErrRefused = errors.New("shuffle service: refused")
	// ErrNotFound is wrapped when there is no such map output file, or
	// when the executor was not registered with RegisterExecutor.
	ErrNotFound = errors.New("shuffle service: not found")
)
