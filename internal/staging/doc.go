// Package staging is the resource staging server of Spark on Kubernetes
// (the apache-spark-on-k8s fork): the submitter uploads the application's
// local files as one bundle (package bundle: a tar of regular files with
// checked names), and the init-containers of its pods download it.
// The HTTP API is POST /api/v0/resources?namespace=NS&labels=k=v,... with
// the bundle as body and its sha256 in X-Gospark-Bundle-Sha256, answered
// with a random resource id and secret (Resource), and
// GET /api/v0/resources/{id} with "Authorization: Bearer <secret>"; Client
// speaks it, over TLS when configured (ServerTLS, NewClient). The server
// stores only the secret's hash. An upload is streamed, size-capped,
// checksummed and validated in a private ".incoming-*" directory and only
// then published by renaming it to <Dir>/<id>, so an interrupted upload
// leaves nothing visible and New discards its remains; published bundles
// survive restarts. A cleaner deletes a bundle once the pods that claimed it
// (pods in its namespace carrying its labels, as seen by a PodIndex) are
// gone, or when no such pod appeared within ExpireUnclaimed; deletion renames
// the directory away first, so readers see either the whole bundle or none.
package staging
