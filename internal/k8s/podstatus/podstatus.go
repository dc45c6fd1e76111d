// Package podstatus explains a pod's state to a user in one line: how far a
// pod has got, why it cannot run, or why it ended.
//
// The main container of a pod is its spark-kubernetes-driver or
// spark-kubernetes-executor container, else the first container of its spec.
package podstatus

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Names of the main containers of gospark's driver and executor pods. They
// are repeated here, not imported, so that the pod builder may use this package.
const (
	driverContainer   = "spark-kubernetes-driver"
	executorContainer = "spark-kubernetes-executor"
)

// maxMessage is how many runes of a Kubernetes message are kept.
const maxMessage = 500

// Kind classifies a Problem.
type Kind int

const (
	None          Kind = iota // nothing wrong (yet)
	Unschedulable             // no node can take the pod
	ImageError                // ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName, ...
	ConfigError               // CreateContainerConfigError, CreateContainerError, RunContainerError
	OOMKilled                 // a container was killed for exceeding its memory limit
	Evicted                   // the kubelet evicted the pod, e.g. when its node was low on memory
	Exited                    // a container exited with a non-zero code
	Failed                    // the pod failed for another reason, e.g. DeadlineExceeded
)

var kindNames = [...]string{"None", "Unschedulable", "ImageError", "ConfigError", "OOMKilled", "Evicted", "Exited", "Failed"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Problem is why a pod cannot run or did not end well.
type Problem struct {
	Kind      Kind
	Reason    string // Kubernetes' reason, e.g. "ErrImagePull", "OOMKilled", "Error", "Evicted"
	Message   string // Kubernetes' message on one line; may be empty
	ExitCode  int32  // the container's exit code, for OOMKilled and Exited
	Container string // the container at fault; "" for a problem of the whole pod
	Init      bool   // Container is an init container
}

// String is a one-line explanation for a user, e.g.
// "OOMKilled: container spark-kubernetes-executor exceeded its memory limit (exit code 137)".
func (p Problem) String() string {
	switch p.Kind {
	case None:
		return "no problem"
	case Unschedulable:
		return "unschedulable" + colon(p.Message)
	case Evicted:
		return "evicted" + colon(p.Message)
	case ImageError:
		what := "cannot pull image"
		switch p.Reason {
		case "ErrImageNeverPull":
			what = "image not found"
		case "InvalidImageName":
			what = "invalid image name"
		}
		return fmt.Sprintf("%s: %s%s (%s)", what, p.Reason, colon(p.Message), p.container())
	case ConfigError:
		return fmt.Sprintf("cannot start %s: %s%s", p.container(), p.Reason, colon(p.Message))
	case OOMKilled:
		return fmt.Sprintf("OOMKilled: %s exceeded its memory limit (exit code %d)", p.container(), p.ExitCode)
	case Exited:
		s := fmt.Sprintf("%s exited with code %d%s", p.container(), p.ExitCode, signal(p.ExitCode))
		if p.Reason != "" && p.Reason != "Error" {
			s += " (" + p.Reason + ")"
		}
		return s + colon(p.Message)
	}
	return "pod failed" + colon(join(p.Reason, p.Message))
}

// short is the problem as Phase shows it in parentheses.
func (p Problem) short() string {
	var s string
	switch p.Kind {
	case OOMKilled, Exited:
		s = fmt.Sprintf("exit code %d", p.ExitCode)
		if p.Reason != "" {
			s = p.Reason + ", " + s
		}
	default:
		s = join(p.Reason, p.Message)
	}
	if p.Init && s != "" {
		s = "Init:" + s
	}
	return s
}

func (p Problem) container() string {
	s := "container"
	if p.Init {
		s = "init container"
	}
	if p.Container != "" {
		s += " " + p.Container
	}
	return s
}

// Phase is a short summary for periodic status lines, e.g.
// "Pending (ContainerCreating)", "Running", "Succeeded (exit code 0)",
// "Failed (OOMKilled, exit code 137)", "Pending (ErrImageNeverPull: ...)".
func Phase(p *corev1.Pod) string {
	if p == nil {
		return "Unknown"
	}
	phase := string(p.Status.Phase)
	if phase == "" {
		phase = "Unknown"
	}
	if prob, bad := Explain(p); bad && prob.short() != "" {
		return phase + " (" + prob.short() + ")"
	}
	code, done := Terminated(p)
	switch {
	case done && code >= 0:
		return fmt.Sprintf("%s (exit code %d)", phase, code)
	case p.Status.Phase == corev1.PodPending:
		if cs := mainStatus(p); cs != nil && cs.State.Waiting != nil && cs.State.Waiting.Reason != "" {
			return phase + " (" + join(cs.State.Waiting.Reason, oneLine(cs.State.Waiting.Message)) + ")"
		}
	}
	return phase
}

// Explain reports why a pod cannot run or did not end well; ok is false when
// nothing is wrong (yet). An OOMKilled container is reported before other
// problems, and the main container's exit before other containers'.
func Explain(p *corev1.Pod) (prob Problem, ok bool) {
	if p == nil || p.Status.Phase == corev1.PodSucceeded {
		return Problem{}, false
	}
	st := &p.Status
	if st.Phase == corev1.PodFailed && st.Reason == "Evicted" {
		return Problem{Kind: Evicted, Reason: st.Reason, Message: oneLine(st.Message)}, true
	}
	for _, c := range st.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return Problem{Kind: Unschedulable, Reason: c.Reason, Message: oneLine(c.Message)}, true
		}
	}

	// All statuses, main container first, then init containers, then the rest.
	type status struct {
		*corev1.ContainerStatus
		init bool
	}
	main := mainStatus(p)
	var all []status
	if main != nil {
		all = append(all, status{main, false})
	}
	for i := range st.InitContainerStatuses {
		all = append(all, status{&st.InitContainerStatuses[i], true})
	}
	for i := range st.ContainerStatuses {
		if cs := &st.ContainerStatuses[i]; cs != main {
			all = append(all, status{cs, false})
		}
	}
	problem := func(s status, k Kind, reason, msg string, code int32) (Problem, bool) {
		return Problem{Kind: k, Reason: reason, Message: oneLine(msg), ExitCode: code, Container: s.Name, Init: s.init}, true
	}
	for _, s := range all {
		if t := ended(s.ContainerStatus); t != nil && t.Reason == "OOMKilled" {
			return problem(s, OOMKilled, t.Reason, t.Message, t.ExitCode)
		}
	}
	for _, s := range all {
		if w := s.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
				"ImageInspectError", "RegistryUnavailable", "SignatureValidationFailed":
				return problem(s, ImageError, w.Reason, w.Message, 0)
			case "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
				return problem(s, ConfigError, w.Reason, w.Message, 0)
			}
		}
	}
	for _, s := range all {
		if t := ended(s.ContainerStatus); t != nil && t.ExitCode != 0 {
			return problem(s, Exited, t.Reason, t.Message, t.ExitCode)
		}
	}
	if st.Phase == corev1.PodFailed {
		return Problem{Kind: Failed, Reason: st.Reason, Message: oneLine(st.Message)}, true
	}
	return Problem{}, false
}

// Terminated reports whether the pod has ended for good: its phase is
// Succeeded or Failed, or its main container has terminated and will not be
// restarted (restartPolicy Never, or OnFailure with exit code 0). code is the
// main container's exit code, or -1 when it has not terminated or is unknown.
func Terminated(p *corev1.Pod) (code int32, done bool) {
	if p == nil {
		return -1, false
	}
	terminal := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	var t *corev1.ContainerStateTerminated
	if cs := mainStatus(p); cs != nil {
		t = cs.State.Terminated
		if t == nil && terminal {
			t = cs.LastTerminationState.Terminated
		}
	}
	code = -1
	if t != nil {
		code = t.ExitCode
	}
	switch {
	case terminal:
		return code, true
	case t == nil:
		return -1, false
	case p.Spec.RestartPolicy == corev1.RestartPolicyNever:
		return code, true
	case p.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && code == 0:
		return code, true
	}
	return code, false
}

// mainStatus is the status of the pod's main container, or nil.
func mainStatus(p *corev1.Pod) *corev1.ContainerStatus {
	name := ""
	for i, c := range p.Spec.Containers {
		if c.Name == driverContainer || c.Name == executorContainer {
			name = c.Name
			break
		}
		if i == 0 {
			name = c.Name
		}
	}
	statuses := p.Status.ContainerStatuses
	for i := range statuses {
		if statuses[i].Name == name {
			return &statuses[i]
		}
	}
	if name == "" && len(statuses) > 0 {
		return &statuses[0]
	}
	return nil
}

// ended is how a container last terminated, if it is terminated now or
// waiting to be restarted after a crash.
func ended(cs *corev1.ContainerStatus) *corev1.ContainerStateTerminated {
	if t := cs.State.Terminated; t != nil {
		return t
	}
	if w := cs.State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" {
		return cs.LastTerminationState.Terminated
	}
	return nil
}

// signal names the signal behind exit codes 129 to 192, as shells report them.
func signal(code int32) string {
	if code <= 128 || code > 128+64 {
		return ""
	}
	names := map[int32]string{1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"}
	if n, ok := names[code-128]; ok {
		return " (" + n + ")"
	}
	return fmt.Sprintf(" (signal %d)", code-128)
}

// oneLine collapses s's white space, newlines included, and shortens it.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage-3]) + "..."
	}
	return s
}

func colon(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// join is "a: b", or whichever of them is not empty.
func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + colon(b)
}
