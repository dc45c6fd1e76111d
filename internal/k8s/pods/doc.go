// Package pods builds the driver and executor pods of an application from
// its configuration, as a list of steps (Steps), one per concern: image,
// command, labels, environment, resources, volumes, the driver's Services
// (headless, with the RPC and UI ports; a NodePort one for the UI when
// exposed), its configuration, its credentials, the init-container, ...
//
// A Step carries its concern whole, as Spark's KubernetesFeatureConfigStep
// does: its change to a pod (Pod, run by Build for both roles), the
// properties it adds to or removes from the driver's configuration
// (Properties), and the objects the driver pod needs besides itself
// (Objects: a Service, ConfigMaps, Secrets). gospark submit
// (internal/k8s/launch) runs every step's Properties on a copy of the
// submission's configuration, builds the driver pod, then collects every
// step's Objects and creates them owned by the driver pod. In the driver,
// executor pods are built from the driver's configuration with Build
// alone: what submit told the driver (the init ConfigMap's name, ...) is
// how the executors get the same concerns.
//
// A pod starts from its role's pod template when one is set
// (spark.kubernetes.{driver,executor}.podTemplateFile): its main container
// first, everything else kept, and every step merging into it rather than
// replacing it; template.go says which of gospark's settings win, as
// Spark's pod template table does.
//
// Each step is tested alone (its pod change, objects and properties), and
// the whole builder through golden files (testdata/*.yaml, rewritten with
// go test ./internal/k8s/pods -update).
package pods
