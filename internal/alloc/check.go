package alloc

import (
	"errors"
	"fmt"

	"github.com/gospark/gospark/internal/config"
)

// ErrServiceNeedsSecret is returned by Check for the external shuffle
// service without spark.authenticate: the service serves an application's
// files only to holders of its secret.
var ErrServiceNeedsSecret = errors.New("spark.shuffle.service.enabled=true needs spark.authenticate=true: the shuffle service serves an application's files only to holders of its secret")

// Check runs every check of elastic executors that can be made before
// anything is created: Requirement, FromConf when dynamic allocation is
// on, and the shuffle service's need for a secret. gospark submit and the
// driver both run it.
func Check(conf *config.Conf) error {
	if err := Requirement(conf); err != nil {
		return err
	}
	if Enabled(conf) {
		if _, err := FromConf(conf); err != nil {
			return err
		}
	}
	if conf.Bool("spark.shuffle.service.enabled") && conf.Has("spark.authenticate") && !conf.Bool("spark.authenticate") {
		return fmt.Errorf("%w", ErrServiceNeedsSecret)
	}
	return nil
}
