// Package shuffleservice is the external shuffle service (Spark's
// spark.shuffle.service.enabled): one long-lived process per node that
// serves the map output files of executors after they are gone, so that
// dynamic allocation can remove executors without losing their shuffle
// output. The executors of every application on the node share a root
// directory R (a hostPath on Kubernetes): executor E of application A
// keeps its local directory in ExecutorDir(R, A, E) = R/A/E, and its map
// output in R/A/E/shuffle/shuffle_<shuffle>_<map>_<attempt>.{data,index}
// (package shuffle). A reducer's Client.Fetch returns the bytes of one
// reduce partition: the range [off[r], off[r+1]) of the data file that the
// index's big-endian int64 offsets give.
//
// # Protocol
//
// TCP with length-prefixed frames (kind, 4-byte length, payload; see
// proto.go), one request at a time per connection; every length read
// from the wire is bounded (1 KiB for anything a client sends). A
// connection starts with a handshake that binds it to one application,
// then carries RegisterExecutor, Fetch, Heartbeat and RemoveApp requests.
//
// # Security
//
// Every application needs a non-empty secret (spark.authenticate's); the
// service refuses clients without one. An application proves itself with
// its key K = HMAC-SHA256(secret, "gospark-shuffle-service:"+appID). The
// first connection of an application the service does not know sends K
// (trust on first use: that is how the service learns it); every later
// connection proves knowledge of K with a mutual challenge-response over
// fresh nonces of both sides, and K never travels again. A wrong key is
// refused and logged. A connection only touches R/<its application>:
// application ids, executor ids and file names are checked (ValidName, and
// shuffle_<n>_<n>_<n> for map outputs), and files are opened through an
// os.Root at the application's directory, so no name or symbolic link
// leads out of it. Fetch serves only executors registered with
// RegisterExecutor (ErrNotFound otherwise).
//
// Limits of trust on first use: whoever connects first for an application
// id decides its key. Someone who knows an application's id before its
// first connection can therefore lock the application out (its own
// connections are refused) or, for a directory found at start (below),
// claim it and read its files. And the first connection sends K in the
// clear, so a peer that impersonates or eavesdrops on the service at that
// moment learns K. The service forgets keys when it removes an
// application and when it restarts, and the first connection after that
// is trusted again. Connections are not encrypted. Run the service on a
// network where pods cannot impersonate a node's port, and use
// application ids that are hard to guess (Spark's are random).
//
// # Cleanup
//
// RemoveApp (the application ended) removes R/<app> at once and forgets
// the application with its key. A driver that heartbeats declares a
// timeout: if no heartbeat arrives for that long, the driver is taken for
// gone and the application is removed. An application that never
// heartbeats is removed after ServerOptions.OrphanTimeout without activity
// (a connection, a registration, a fetch). Directories already under R
// when the service starts are orphans of an earlier run: each is removed
// after OrphanTimeout unless its application connects again (it must then
// register its executors again: registrations are not kept across
// restarts). Every removal is logged with the application id and why.
package shuffleservice
