#!/usr/bin/env bash
# Build size and time of an application, before and after a change:
#   bench/buildtimes.sh [BEFORE_COMMIT]      (default e90cc37, before issue 12)
# For each side (BEFORE in a temporary worktree, then the checkout), with an
# empty Go build cache (as after `go clean -cache`, without touching yours):
# examples/sparkpi's cold build (time, size, packages linked), then the
# README's first command (`go run ./cmd/gospark submit ./examples/sparkpi 10`)
# cold and three times warm. Prints one line per figure.
set -uo pipefail
before=${1:-e90cc37}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/before" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
git -C "$root" worktree add --detach "$tmp/before" "$before" >/dev/null 2>&1 || { echo "cannot check out $before"; exit 1; }
secs() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; local rc=$?; echo "$(echo "$(date +%s.%N) - $s" | bc) s (exit $rc)"; }
for side in before after; do
	dir=$root; [[ $side == before ]] && dir=$tmp/before
	cd "$dir" || exit 1
	export GOCACHE=$tmp/cache-$side-build
	t=$(secs go build -o "$tmp/sparkpi-$side" ./examples/sparkpi)
	echo "$side: sparkpi cold build $t, $(stat -c %s "$tmp/sparkpi-$side") bytes, $(go list -deps ./examples/sparkpi | wc -l) packages, $(go list -deps ./examples/sparkpi | grep -c '^k8s.io/') k8s.io packages"
	export GOCACHE=$tmp/cache-$side-run XDG_CACHE_HOME=$tmp/xdg-$side
	echo "$side: README first command cold $(secs go run ./cmd/gospark submit ./examples/sparkpi 10)"
	for i in 1 2 3; do
		echo "$side: README first command warm $i $(secs go run ./cmd/gospark submit ./examples/sparkpi 10)"
	done
done
