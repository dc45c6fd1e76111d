// Package download fetches a remote file (http, https) to a local path.
// It uses the standard library alone, so applications can link it.
package download

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
)

// File writes the body of a GET of url to the file to; a failure (an
// answer other than 200, a short body) leaves no file.
func File(ctx context.Context, url, to string) (err error) {
	defer func() {
		if err != nil {
			os.Remove(to)
			err = fmt.Errorf("downloading %s: %w", url, err)
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server answered %s", resp.Status)
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, resp.Body)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("got %d bytes of %d", n, resp.ContentLength)
	}
	return err
}
