#!/usr/bin/env bash
# Issue 16's scale figures on the test cluster: `make bench-scale`.
#
# Runs, one after another (each prints its own table and command line):
#   tasks       bench/tasks: 1,000 simulated executors over loopback, jobs of
#               100,000 tiny tasks, heartbeat storms (no cluster needed)
#   submit      bench/submit: driver-only applications through the CLI (on the
#               node) and, their drivers on fake nodes,
#               through the Go API (one process, one client), leak check
#   node        bench/pods -mode node: 100 executor pods of one application
#               on the real node
#   fake        bench/pods -mode fake: the allocator against fake nodes, 1,000
#               pods at batch sizes 5, 10, 50, 200, 1000 and 5,000 pods at 200, each
#               run checked to leave nothing behind
#
# SCALE_STEPS picks some of them (default: all, in that order). The cluster
# is brought up when absent (and taken down after); fake nodes are started
# for the fake step and stopped after it. Everything printed is also kept in
# bench/out/scale-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
KUBE_BIN=${KUBE_BIN:-$HOME/.cache/gospark/kube-v1.34.12/bin}
STEPS=${SCALE_STEPS:-tasks submit node fake}
FAKE_NODES=${SCALE_FAKE_NODES:-10}
mkdir -p bench/out
log=bench/out/scale-$(date -u +%Y%m%dT%H%M%SZ).txt
exec > >(tee "$log") 2>&1

step() {
	echo
	echo "\$ $*"
	"$@"
}

echo "# gospark scale benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"

started= faked= ready=
cluster() {
	ready=1
	if ! $GO run ./hack/cluster check -bin "$KUBE_BIN" >/dev/null 2>&1; then
		$GO run ./hack/cluster up -bin "$KUBE_BIN"
		started=1
	else
		$GO run ./hack/cluster images -bin "$KUBE_BIN"
	fi
}
cleanup() {
	if [ -n "$started" ]; then
		$GO run ./hack/cluster down -bin "$KUBE_BIN" || true
	elif [ -n "$faked" ]; then
		$GO run ./hack/cluster fake-nodes -bin "$KUBE_BIN" 0 || true
	fi
}
trap cleanup EXIT

for s in $STEPS; do
	case $s in
	tasks)
		step $GO run ./bench/tasks -executors 1000 -tasks 100000 -jobs 2 -storm 20
		;;
	submit)
		[ -n "$ready" ] || cluster
		step $GO run ./bench/submit -mode cli -n 300 -parallel 8
		# The API run's drivers go to fake nodes: on 2 cores, a node
		# starting hundreds of drivers takes the API server's CPU (and
		# completes ~30 a minute, which the CLI run measures).
		faked=1
		$GO run ./hack/cluster fake-nodes -bin "$KUBE_BIN" "$FAKE_NODES"
		step $GO run ./bench/submit -mode api -n 600 -parallel 32 -fake-nodes -complete-within 5s
		;;
	node)
		[ -n "$ready" ] || cluster
		step $GO run ./bench/pods -mode node -pods 100
		;;
	fake)
		[ -n "$ready" ] || cluster
		faked=1
		$GO run ./hack/cluster fake-nodes -bin "$KUBE_BIN" "$FAKE_NODES"
		step $GO run ./bench/pods -mode fake -pods 1000 -batch 5,10,50,200,1000
		step $GO run ./bench/pods -mode fake -pods 5000 -batch 200
		$GO run ./hack/cluster fake-nodes -bin "$KUBE_BIN" 0
		faked=
		;;
	*)
		echo "SCALE_STEPS: unknown step $s (want tasks, submit, node, fake)" >&2
		exit 2
		;;
	esac
done
echo
echo "# kept in $log"
