#!/usr/bin/env bash
# The README's second command (`make test`) step by step with an empty Go
# build cache, as on a fresh machine, printing each step's wall time:
#   bench/coldtest.sh            the Kubernetes binaries stay cached
#   COLD_KUBE=1 bench/coldtest.sh  they are rebuilt too (hack/build-kube.sh)
# Your own caches are left alone (GOCACHE and the kube cache go to a
# temporary directory).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GOCACHE=$tmp/gocache XDG_CACHE_HOME=$tmp/xdg
args=()
[[ ${COLD_KUBE:-} == 1 ]] && args=(KUBE_BIN="$tmp/kube/bin")
start=$(date +%s)
for step in deps vet cluster-bin unit e2e; do
	s=$(date +%s)
	make "${args[@]}" "$step" >"$tmp/$step.log" 2>&1
	rc=$?
	echo "$step: $(($(date +%s) - s)) s, exit $rc"
	[[ $rc == 0 ]] || { tail -30 "$tmp/$step.log"; exit 1; }
	[[ $step == e2e ]] && grep -E 'images built|cluster up in|^ok .*test/e2e' "$tmp/$step.log"
done
echo "total: $(($(date +%s) - start)) s"
