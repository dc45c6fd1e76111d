package benchk8s

// FakeNodeTemplate is a pod template that tolerates the taint of
// hack/fakenodes' nodes (their label is selected through
// spark.kubernetes.node.selector.type); a template with no container gets
// gospark's main container.
const FakeNodeTemplate = `apiVersion: v1
kind: Pod
spec:
  tolerations:
  - key: gospark.dev/fake-node
    operator: Equal
    value: "true"
    effect: NoSchedule
`
