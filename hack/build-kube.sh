#!/usr/bin/env bash
# Builds the test cluster's binaries from the Go module proxy, once:
# kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
# kube-proxy and kubectl from hack/kube (Kubernetes v1.34.12), and coredns
# from hack/coredns. Usage: hack/build-kube.sh [output dir]
# (default ~/.cache/gospark/kube-v1.34.12/bin). A stamp of the two go.sum
# files skips the build when nothing changed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/gospark/kube-v1.34.12/bin}
version=v1.34.12
cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

stamp=$(cat "$here/kube/go.mod" "$here/kube/go.sum" "$here/coredns/go.mod" "$here/coredns/go.sum" | sha256sum | cut -d' ' -f1)
if [[ -f "$out/.stamp" && "$(cat "$out/.stamp")" == "$stamp" ]]; then
	ok=1
	for c in "${cmds[@]}" coredns; do [[ -x "$out/$c" ]] || ok=0; done
	if [[ $ok == 1 ]]; then
		echo "kubernetes binaries up to date in $out"
		exit 0
	fi
fi

mkdir -p "$out"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly GONOSUMDB=k8s.io/kubernetes
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=34"

start=$SECONDS
for c in "${cmds[@]}"; do
	t=$SECONDS
	(cd "$here/kube" && go build -trimpath -ldflags "$ldflags" -o "$out/$c" "k8s.io/kubernetes/cmd/$c")
	echo "built $c in $((SECONDS - t))s"
done
t=$SECONDS
(cd "$here/coredns" && go build -trimpath -ldflags "-s -w" -o "$out/coredns" .)
echo "built coredns in $((SECONDS - t))s"
echo "$stamp" > "$out/.stamp"
echo "kubernetes binaries built in $((SECONDS - start))s into $out"
