package alloc

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/master"
)

// Names of the properties the policy reads, as Spark spells them.
const (
	propEnabled          = "spark.dynamicAllocation.enabled"
	propMin              = "spark.dynamicAllocation.minExecutors"
	propMax              = "spark.dynamicAllocation.maxExecutors"
	propInitial          = "spark.dynamicAllocation.initialExecutors"
	propRatio            = "spark.dynamicAllocation.executorAllocationRatio"
	propBacklog          = "spark.dynamicAllocation.schedulerBacklogTimeout"
	propSustained        = "spark.dynamicAllocation.sustainedSchedulerBacklogTimeout"
	propIdle             = "spark.dynamicAllocation.executorIdleTimeout"
	propCachedIdle       = "spark.dynamicAllocation.cachedExecutorIdleTimeout"
	propTracking         = "spark.dynamicAllocation.shuffleTracking.enabled"
	propTrackingTimeout  = "spark.dynamicAllocation.shuffleTracking.timeout"
	propInstances        = "spark.executor.instances"
	propCores            = "spark.executor.cores"
	propShuffleService   = "spark.shuffle.service.enabled"
	propDecommission     = "spark.decommission.enabled"
	propStorageDecom     = "spark.storage.decommission.enabled"
	propShuffleBlocksDec = "spark.storage.decommission.shuffleBlocks.enabled"
)

// Forever is the timeout that never expires: an executor whose timeout is
// Forever is never released for being idle. It is the value of
// Config.CachedIdleTimeout and Config.ShuffleTrackingTimeout when their
// properties are unset (Spark's "infinity").
const Forever = time.Duration(math.MaxInt64)

// Config is the policy's configuration, read from Spark's properties by
// FromConf. Durations are exact; Forever means infinity.
type Config struct {
	// Min and Max bound the target (spark.dynamicAllocation.minExecutors,
	// maxExecutors); Initial is the target at start (see FromConf).
	Min, Max, Initial int
	// Ratio scales the executors the tasks could use
	// (spark.dynamicAllocation.executorAllocationRatio), in (0, 1].
	Ratio float64
	// BacklogTimeout is how long tasks wait before the first request for
	// more executors; SustainedBacklogTimeout the interval between further
	// requests while the backlog lasts.
	BacklogTimeout, SustainedBacklogTimeout time.Duration
	// IdleTimeout releases an idle executor without cached blocks or
	// tracked shuffle output; CachedIdleTimeout one with cached blocks
	// (Forever: never).
	IdleTimeout, CachedIdleTimeout time.Duration
	// ShuffleTracking keeps executors holding shuffle output: never
	// released while a running job reads it (Executor.ActiveShuffle),
	// otherwise after ShuffleTrackingTimeout (Forever: never). It is off
	// when the external shuffle service is on, as in Spark.
	ShuffleTracking        bool
	ShuffleTrackingTimeout time.Duration
	// TasksPerExecutor is the task slots of one executor:
	// spark.executor.cores (every gospark task takes one slot, so
	// spark.task.cpus does not divide it).
	TasksPerExecutor int
}

// FromConf reads and checks the policy's properties, whether or not
// dynamic allocation is enabled (see Enabled). As Spark's
// getDynamicAllocationInitialExecutors, Initial is the largest of
// spark.dynamicAllocation.minExecutors, initialExecutors (which defaults to
// minExecutors) and spark.executor.instances when it is set explicitly. A
// value out of range is a *config.Error naming the property and what is
// allowed.
func FromConf(conf *config.Conf) (Config, error) {
	c := Config{
		Min:                     conf.Int(propMin),
		Max:                     conf.Int(propMax),
		Ratio:                   conf.Float(propRatio),
		BacklogTimeout:          conf.Duration(propBacklog),
		SustainedBacklogTimeout: conf.Duration(propSustained),
		IdleTimeout:             conf.Duration(propIdle),
		CachedIdleTimeout:       Forever,
		ShuffleTracking:         conf.Bool(propTracking) && !conf.Bool(propShuffleService),
		ShuffleTrackingTimeout:  Forever,
		TasksPerExecutor:        conf.Int(propCores),
	}
	if conf.Has(propCachedIdle) {
		c.CachedIdleTimeout = conf.Duration(propCachedIdle)
	}
	if conf.Has(propTrackingTimeout) {
		c.ShuffleTrackingTimeout = conf.Duration(propTrackingTimeout)
	}
	c.Initial = max(c.Min, conf.Int(propInitial))
	initialFrom := propInitial
	if conf.Has(propInstances) {
		if n := conf.Int(propInstances); n > c.Initial {
			c.Initial, initialFrom = n, propInstances
		}
	}
	if err := c.check(initialFrom); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks a Config built by hand as FromConf checks one read from
// properties; errors name the property behind the field.
func (c Config) Validate() error { return c.check(propInitial) }

// check validates c; initialFrom names the property Initial came from.
func (c Config) check(initialFrom string) error {
	bad := func(prop string, v any, want string) error {
		return &config.Error{Property: prop, Value: fmt.Sprint(v), Want: want}
	}
	switch {
	case c.Min < 0:
		return bad(propMin, c.Min, "a non-negative integer")
	case c.Max <= 0:
		return bad(propMax, c.Max, "a positive integer when dynamic allocation is on")
	case c.Min > c.Max:
		return bad(propMin, c.Min, fmt.Sprintf("at most %s (%d)", propMax, c.Max))
	case c.Initial < c.Min:
		return bad(initialFrom, c.Initial, fmt.Sprintf("at least %s (%d)", propMin, c.Min))
	case c.Initial > c.Max:
		return bad(initialFrom, c.Initial, fmt.Sprintf("at most %s (%d)", propMax, c.Max))
	case !(c.Ratio > 0 && c.Ratio <= 1):
		return bad(propRatio, strconv.FormatFloat(c.Ratio, 'g', -1, 64), "a number in (0, 1]")
	case c.BacklogTimeout <= 0:
		return bad(propBacklog, c.BacklogTimeout, "a positive duration")
	case c.SustainedBacklogTimeout <= 0:
		return bad(propSustained, c.SustainedBacklogTimeout, "a positive duration")
	case c.IdleTimeout < 0:
		return bad(propIdle, c.IdleTimeout, "a non-negative duration")
	case c.CachedIdleTimeout < 0:
		return bad(propCachedIdle, c.CachedIdleTimeout, "a non-negative duration (unset for infinity)")
	case c.ShuffleTrackingTimeout < 0:
		return bad(propTrackingTimeout, c.ShuffleTrackingTimeout, "a non-negative duration (unset for infinity)")
	case c.TasksPerExecutor < 1:
		return bad(propCores, c.TasksPerExecutor, "a positive integer")
	}
	return nil
}

// Enabled reports whether dynamic allocation is on: spark.dynamicAllocation.enabled
// is true and the master is not local[N], where the driver runs every task
// itself and there are no executors to add or remove (Spark's
// isDynamicAllocationEnabled; local-cluster and k8s:// masters qualify).
func Enabled(conf *config.Conf) bool {
	if !conf.Bool(propEnabled) {
		return false
	}
	m, err := master.Parse(conf.String("spark.master"))
	return err != nil || m.Kind != master.Local
}

// ErrShuffleUnprotected is wrapped by Requirement's error: dynamic
// allocation is on but nothing keeps shuffle output when an executor that
// wrote it is removed.
var ErrShuffleUnprotected = errors.New("dynamic allocation would lose shuffle output")

// Requirement checks that shuffle output survives the removal of executors
// when dynamic allocation is on (Enabled), as Spark requires: the external
// shuffle service serves it (spark.shuffle.service.enabled), shuffle
// tracking keeps the executors that hold it
// (spark.dynamicAllocation.shuffleTracking.enabled), or decommissioning
// migrates it first (spark.decommission.enabled with
// spark.storage.decommission.enabled and
// spark.storage.decommission.shuffleBlocks.enabled). Otherwise it returns
// an error wrapping ErrShuffleUnprotected that names the three ways. It
// returns nil when dynamic allocation is off.
func Requirement(conf *config.Conf) error {
	if !Enabled(conf) {
		return nil
	}
	decommission := conf.Bool(propDecommission) && conf.Bool(propStorageDecom) && conf.Bool(propShuffleBlocksDec)
	if conf.Bool(propShuffleService) || conf.Bool(propTracking) || decommission {
		return nil
	}
	return fmt.Errorf("%s=true: %w when executors are removed; choose one way to keep it: "+
		"1) the external shuffle service: %s=true; "+
		"2) shuffle tracking, which keeps executors that hold shuffle output: %s=true; "+
		"3) decommissioning, which migrates shuffle output before an executor goes: %s=true, %s=true and %s=true",
		propEnabled, ErrShuffleUnprotected, propShuffleService, propTracking, propDecommission, propStorageDecom, propShuffleBlocksDec)
}
