// Package staging is the resource staging server of Spark on Kubernetes
// (the apache-spark-on-k8s fork): the submitter uploads the application's
// local files, and the init-containers of its pods download them. A bundle
// is an uncompressed tar stream of regular files only, with clean, relative,
// slash-separated names such as "jars/app.jar" or "files/data.txt"
// (WriteBundle, CheckName); ReadBundle validates a bundle as untrusted input
// and ExtractBundle unpacks it under one directory per top-level element,
// never writing outside them, not even through symlinks already present.
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
