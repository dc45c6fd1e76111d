// Package image builds gospark's container images without a container
// engine, with go-containerregistry. An image is one layer made from host
// files (Spec: image path, host file, mode; parent directories are
// created) on top of nothing, plus a config with entrypoint, arguments,
// environment and labels. The layer is deterministic (sorted entries, root
// ownership, fixed times), so the same files give the same digest. Build
// makes the image; WriteTarball writes it as a docker-archive, which
// `ctr -n k8s.io images import` and `docker load` accept; WriteLayout adds
// it to an OCI layout directory; Push sends it to the registry its tag
// names.
//
// There is no base image: everything in an image must be a static Linux
// executable (CheckBinary tells), which GoBuild makes from a Go package
// with CGO_ENABLED=0. Gospark and Pause assemble the two images gospark
// needs: gospark with applications (the driver and executor image, which
// also serves the init-container, staging server and shuffle service
// roles through its arguments) and the pod sandbox image holding only the
// pause program of cmd/pause.
package image
