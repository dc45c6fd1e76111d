package podstatus

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const (
	drv  = "spark-kubernetes-driver"
	exec = "spark-kubernetes-executor"
)

// pod builds a pod whose spec has the named containers (the first is the
// main one unless a Spark container is among them) and the given status.
func pod(phase corev1.PodPhase, policy corev1.RestartPolicy, containers []string, st corev1.PodStatus) *corev1.Pod {
	p := &corev1.Pod{Spec: corev1.PodSpec{RestartPolicy: policy}, Status: st}
	p.Status.Phase = phase
	for _, n := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n})
	}
	return p
}

func waiting(name, reason, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{
		Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}
}

func terminated(name, reason string, code int32, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code, Message: msg}}}
}

func running(name string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
}

func containers(cs ...corev1.ContainerStatus) corev1.PodStatus {
	return corev1.PodStatus{ContainerStatuses: cs}
}

func TestPod(t *testing.T) {
	never := corev1.RestartPolicyNever
	unsched := corev1.PodStatus{Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
		Message: "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available:\n1 No preemption victims found for incoming pod.",
	}}}
	neverPull := `Container image "gospark:dev" is not present with pull policy of Never`
	initFailed := corev1.PodStatus{
		InitContainerStatuses: []corev1.ContainerStatus{terminated("fetch-deps", "Error", 2, "")},
		ContainerStatuses:     []corev1.ContainerStatus{waiting(drv, "PodInitializing", "")},
	}
	crashLoop := waiting(exec, "CrashLoopBackOff", "back-off 10s restarting failed container")
	crashLoop.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}
	sidecarFirst := containers(running("log-shipper"), terminated(drv, "Error", 3, "Exception in thread \"main\"\n\tat Main.main"))

	for _, tc := range []struct {
		name  string
		pod   *corev1.Pod
		phase string
		kind  Kind
		says  []string // in Problem.String()
		code  int32
		done  bool
	}{
		{name: "nil", pod: nil, phase: "Unknown", code: -1},
		{name: "pending, not scheduled yet", pod: pod(corev1.PodPending, never, []string{drv}, corev1.PodStatus{}),
			phase: "Pending", code: -1},
		{name: "pending creating", pod: pod(corev1.PodPending, never, []string{drv}, containers(waiting(drv, "ContainerCreating", ""))),
			phase: "Pending (ContainerCreating)", code: -1},
		{name: "unschedulable", pod: pod(corev1.PodPending, never, []string{drv}, unsched),
			phase: "Pending (Unschedulable: 0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.)",
			kind:  Unschedulable, says: []string{"unschedulable: 0/1 nodes are available: 1 Insufficient cpu."}, code: -1},
		{name: "ErrImagePull", pod: pod(corev1.PodPending, never, []string{exec}, containers(waiting(exec, "ErrImagePull", "failed to pull image \"reg/x:1\": not found"))),
			phase: `Pending (ErrImagePull: failed to pull image "reg/x:1": not found)`,
			kind:  ImageError, says: []string{"cannot pull image: ErrImagePull: failed to pull", "container spark-kubernetes-executor"}, code: -1},
		{name: "ImagePullBackOff", pod: pod(corev1.PodPending, never, []string{exec}, containers(waiting(exec, "ImagePullBackOff", `Back-off pulling image "reg/x:1"`))),
			phase: `Pending (ImagePullBackOff: Back-off pulling image "reg/x:1")`,
			kind:  ImageError, says: []string{"cannot pull image: ImagePullBackOff: Back-off", exec}, code: -1},
		{name: "ErrImageNeverPull", pod: pod(corev1.PodPending, never, []string{drv}, containers(waiting(drv, "ErrImageNeverPull", neverPull))),
			phase: "Pending (ErrImageNeverPull: " + neverPull + ")",
			kind:  ImageError, says: []string{"image not found: ErrImageNeverPull: " + neverPull, "(container spark-kubernetes-driver)"}, code: -1},
		{name: "InvalidImageName", pod: pod(corev1.PodPending, never, []string{drv}, containers(waiting(drv, "InvalidImageName", `Failed to apply default image tag "Bad:Name"`))),
			phase: `Pending (InvalidImageName: Failed to apply default image tag "Bad:Name")`,
			kind:  ImageError, says: []string{"invalid image name: InvalidImageName", drv}, code: -1},
		{name: "config error", pod: pod(corev1.PodPending, never, []string{drv}, containers(waiting(drv, "CreateContainerConfigError", `secret "spark-conf" not found`))),
			phase: `Pending (CreateContainerConfigError: secret "spark-conf" not found)`,
			kind:  ConfigError, says: []string{`cannot start container spark-kubernetes-driver: CreateContainerConfigError: secret "spark-conf" not found`}, code: -1},
		{name: "run container error", pod: pod(corev1.PodPending, never, []string{drv}, containers(waiting(drv, "RunContainerError", "exec: \"/opt/entrypoint.sh\": not found"))),
			phase: "Pending (RunContainerError: exec: \"/opt/entrypoint.sh\": not found)",
			kind:  ConfigError, says: []string{"RunContainerError", drv}, code: -1},
		{name: "running", pod: pod(corev1.PodRunning, never, []string{drv}, containers(running(drv))),
			phase: "Running", code: -1},
		{name: "succeeded", pod: pod(corev1.PodSucceeded, never, []string{drv}, containers(terminated(drv, "Completed", 0, ""))),
			phase: "Succeeded (exit code 0)", code: 0, done: true},
		{name: "failed exit 1", pod: pod(corev1.PodFailed, never, []string{exec}, containers(terminated(exec, "Error", 1, ""))),
			phase: "Failed (Error, exit code 1)",
			kind:  Exited, says: []string{"container spark-kubernetes-executor exited with code 1"}, code: 1, done: true},
		{name: "failed by SIGTERM", pod: pod(corev1.PodFailed, never, []string{exec}, containers(terminated(exec, "Error", 143, ""))),
			phase: "Failed (Error, exit code 143)",
			kind:  Exited, says: []string{"exited with code 143 (SIGTERM)"}, code: 143, done: true},
		{name: "OOMKilled", pod: pod(corev1.PodFailed, never, []string{exec}, containers(terminated(exec, "OOMKilled", 137, ""))),
			phase: "Failed (OOMKilled, exit code 137)",
			kind:  OOMKilled, says: []string{"OOMKilled: container spark-kubernetes-executor exceeded its memory limit (exit code 137)"}, code: 137, done: true},
		{name: "sidecar OOMKilled, main exit 1", pod: pod(corev1.PodFailed, never, []string{drv, "proxy"}, containers(terminated(drv, "Error", 1, ""), terminated("proxy", "OOMKilled", 137, ""))),
			phase: "Failed (OOMKilled, exit code 137)",
			kind:  OOMKilled, says: []string{"OOMKilled: container proxy exceeded"}, code: 1, done: true},
		{name: "evicted", pod: pod(corev1.PodFailed, never, []string{exec}, corev1.PodStatus{Reason: "Evicted", Message: "The node was low on resource: memory.",
			ContainerStatuses: []corev1.ContainerStatus{terminated(exec, "ContainerStatusUnknown", 137, "")}}),
			phase: "Failed (Evicted: The node was low on resource: memory.)",
			kind:  Evicted, says: []string{"evicted: The node was low on resource: memory."}, code: 137, done: true},
		{name: "deadline exceeded", pod: pod(corev1.PodFailed, never, []string{drv}, corev1.PodStatus{Reason: "DeadlineExceeded", Message: "Pod was active on the node longer than the specified deadline"}),
			phase: "Failed (DeadlineExceeded: Pod was active on the node longer than the specified deadline)",
			kind:  Failed, says: []string{"pod failed: DeadlineExceeded: Pod was active"}, code: -1, done: true},
		{name: "init container failure", pod: pod(corev1.PodFailed, never, []string{drv}, initFailed),
			phase: "Failed (Init:Error, exit code 2)",
			kind:  Exited, says: []string{"init container fetch-deps exited with code 2"}, code: -1, done: true},
		{name: "init container image error", pod: pod(corev1.PodPending, never, []string{drv}, corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{waiting("fetch-deps", "ErrImagePull", "not found")},
			ContainerStatuses:     []corev1.ContainerStatus{waiting(drv, "PodInitializing", "")}}),
			phase: "Pending (Init:ErrImagePull: not found)",
			kind:  ImageError, says: []string{"cannot pull image: ErrImagePull: not found (init container fetch-deps)"}, code: -1},
		{name: "init running", pod: pod(corev1.PodPending, never, []string{drv}, corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{running("fetch-deps")},
			ContainerStatuses:     []corev1.ContainerStatus{waiting(drv, "PodInitializing", "")}}),
			phase: "Pending (PodInitializing)", code: -1},
		{name: "never: main exited, phase still Running", pod: pod(corev1.PodRunning, never, []string{"log-shipper", drv}, sidecarFirst),
			phase: "Running (Error, exit code 3)",
			kind:  Exited, says: []string{"container spark-kubernetes-driver exited with code 3: Exception in thread \"main\" at Main.main"}, code: 3, done: true},
		{name: "never: main completed, phase still Running", pod: pod(corev1.PodRunning, never, []string{drv, "log-shipper"}, containers(terminated(drv, "Completed", 0, ""), running("log-shipper"))),
			phase: "Running (exit code 0)", code: 0, done: true},
		{name: "always: exited, will restart", pod: pod(corev1.PodRunning, corev1.RestartPolicyAlways, []string{drv}, containers(terminated(drv, "Error", 1, ""))),
			phase: "Running (Error, exit code 1)", kind: Exited, says: []string{"exited with code 1"}, code: 1},
		{name: "on failure: exit 0 is final", pod: pod(corev1.PodRunning, corev1.RestartPolicyOnFailure, []string{drv}, containers(terminated(drv, "Completed", 0, ""))),
			phase: "Running (exit code 0)", code: 0, done: true},
		{name: "crash loop", pod: pod(corev1.PodRunning, corev1.RestartPolicyAlways, []string{exec}, containers(crashLoop)),
			phase: "Running (Error, exit code 1)", kind: Exited, says: []string{"container spark-kubernetes-executor exited with code 1"}, code: -1},
		{name: "no spec: first status is main", pod: &corev1.Pod{Spec: corev1.PodSpec{RestartPolicy: never}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{terminated("c", "Error", 4, "")}}},
			phase: "Running (Error, exit code 4)", kind: Exited, says: []string{"container c exited with code 4"}, code: 4, done: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Phase(tc.pod); got != tc.phase {
				t.Errorf("Phase = %q, want %q", got, tc.phase)
			}
			prob, ok := Explain(tc.pod)
			if ok != (tc.kind != None) || prob.Kind != tc.kind {
				t.Errorf("Explain = %+v, %v; want kind %v", prob, ok, tc.kind)
			}
			s := prob.String()
			for _, want := range tc.says {
				if !strings.Contains(s, want) {
					t.Errorf("String() = %q, want it to contain %q", s, want)
				}
			}
			if strings.ContainsAny(s, "\n\r\t") {
				t.Errorf("String() = %q is not one line", s)
			}
			if ok && prob.Reason == "" {
				t.Errorf("Explain = %+v, has no Reason", prob)
			}
			if code, done := Terminated(tc.pod); code != tc.code || done != tc.done {
				t.Errorf("Terminated = %d, %v; want %d, %v", code, done, tc.code, tc.done)
			}
		})
	}
}

func TestLongMessage(t *testing.T) {
	msg := strings.Repeat("node-x: Insufficient memory.\n", 100)
	p := pod(corev1.PodPending, corev1.RestartPolicyNever, []string{drv}, corev1.PodStatus{Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: msg}}})
	prob, _ := Explain(p)
	if n := len([]rune(prob.Message)); n != maxMessage || !strings.HasSuffix(prob.Message, "...") || strings.Contains(prob.Message, "\n") {
		t.Errorf("Message has %d runes, want %d ending in ...: %q", n, maxMessage, prob.Message)
	}
}

func TestKindString(t *testing.T) {
	if OOMKilled.String() != "OOMKilled" || Failed.String() != "Failed" || Kind(99).String() != "Kind(99)" {
		t.Error("Kind.String")
	}
	if s := (Problem{}).String(); s != "no problem" {
		t.Errorf("zero Problem = %q", s)
	}
}
