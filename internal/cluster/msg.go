// Package cluster runs tasks in executor processes: the driver's endpoint
// (a scheduler.Backend), the executor's side of the connection, the block
// server and the network fetcher between executors. It does not know what
// a task computes, nor who starts the executors: the spark package encodes
// tasks for executors and runs them there (Encoder, Runner), and a
// cluster manager (internal/clustermgr) starts the processes.
package cluster

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"time"

	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

type msgKind int

const (
	msgRegister msgKind = iota + 1
	msgRegistered
	msgHeartbeat
	msgHeartbeatAck
	msgLaunch
	msgKill
	msgStatus
	msgShutdown
	msgRequest  // executor asks the driver: map output statuses, broadcast values
	msgResponse // the driver's answer
	// msgDecommissioning: the executor is leaving (it got SIGTERM with
	// spark.decommission.enabled): no more tasks for it.
	msgDecommissioning
	// msgMigrated: the leaving executor handed its shuffle outputs and
	// cached blocks to peers; here is where they went.
	msgMigrated
)

// message is everything that crosses the control connection; each kind
// uses some of the fields.
type message struct {
	Kind msgKind

	// msgRegister
	ExecutorID string
	Cores      int
	BlockAddr  string
	PID        int
	LocalDir   string
	// MaxMemory is the memory the executor may use for cached blocks.
	MaxMemory int64
	// Host is the executor's host for the cluster manager (its node on
	// Kubernetes): the driver finds the shuffle service there.
	Host string
	// ShuffleService (msgRegistered, and the answer to ServiceReq) is the
	// address of the external shuffle service the executor uses.
	ShuffleService string

	// msgRegistered: the application's id and the time the driver
	// declares an executor lost without heartbeats.
	AppID string

	// msgLaunch
	Task *taskMsg

	// msgKill, msgStatus
	TaskID int64
	Status *statusMsg

	// msgRequest, msgResponse
	ReqID       uint64
	ShuffleID   int64
	BroadcastID int64
	Statuses    []*shuffle.MapStatus
	Data        []byte
	Err         string
	// Block asks where a cached partition is; Addrs answers.
	Block *storage.BlockID
	Addrs []string
	// Missing is set when a shuffle's outputs are not all registered:
	// MapIndex is the first missing one (-1: none was ever registered).
	Missing  bool
	MapIndex int
	// PeersReq asks for the executors a leaving one may hand its blocks
	// to; Peers answers. ServiceReq asks for the shuffle service again
	// (the one known does not answer).
	PeersReq   bool
	Peers      []Peer
	ServiceReq bool

	// msgMigrated
	Moves  []Move
	Blocks []MovedBlock

	// msgShutdown
	Reason string
}

// Peer is an executor that can take blocks.
type Peer struct {
	ID        string
	BlockAddr string
}

// Move is a map output a leaving executor handed to a peer.
type Move struct {
	ShuffleID int64
	MapIndex  int
	DataBase  string // base name of the data file it wrote
	To        string
	Addr      string // the peer's block server
	DataFile  string // where the peer keeps it
	IndexFile string
	Bytes     int64
}

// MovedBlock is a cached partition a leaving executor handed to a peer.
type MovedBlock struct {
	Block storage.BlockID
	To    string
	Bytes int64
}

type taskMsg struct {
	ID           int64
	JobID        int
	StageID      int
	StageAttempt int
	Partition    int
	Attempt      int
	Kind         int
	Payload      []byte
}

type statusMsg struct {
	Value    []byte
	Err      string
	Panic    bool
	Fetch    *fetchFailure
	Accums   map[int64][]byte
	Duration time.Duration
	Metrics  task.MetricsSnapshot
	Blocks   []storage.Stored // cached partitions stored since the last status
	// Leaving: the executor refused the task, it is decommissioning.
	Leaving bool
}

type fetchFailure struct {
	ShuffleID  int64
	MapIndex   int
	ExecutorID string
	Reduce     int
	Msg        string
	// Addr and Service: the failed output's server, an external shuffle
	// service when Service is set.
	Addr    string
	Service bool
}

// EncodeMapStatus is how a map task's result travels to the driver.
func EncodeMapStatus(st *shuffle.MapStatus) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(st); err != nil {
		return nil, fmt.Errorf("cluster: encoding map status: %w", err)
	}
	return b.Bytes(), nil
}

// DecodeMapStatus is EncodeMapStatus's inverse.
func DecodeMapStatus(p []byte) (*shuffle.MapStatus, error) {
	st := new(shuffle.MapStatus)
	if err := gob.NewDecoder(bytes.NewReader(p)).Decode(st); err != nil {
		return nil, fmt.Errorf("cluster: decoding map status: %w", err)
	}
	return st, nil
}

// RemoteError is a task's failure as the executor reported it.
type RemoteError struct {
	ExecutorID string
	Msg        string
}

func (e *RemoteError) Error() string { return e.Msg }

// ExecutorLostError fails the tasks that were running on a lost executor.
type ExecutorLostError struct {
	ExecutorID string
	Reason     string
	// Decommissioned: the executor was leaving on purpose; its tasks'
	// failures do not count toward spark.task.maxFailures.
	Decommissioned bool
}

// NotCounted implements scheduler.NotCounted.
func (e *ExecutorLostError) NotCounted() bool { return e.Decommissioned }

func (e *ExecutorLostError) Error() string {
	return fmt.Sprintf("executor %s lost: %s", e.ExecutorID, e.Reason)
}
