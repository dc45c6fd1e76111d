//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Issue 16: many applications on a full cluster must not deadlock
// silently. A driver whose executor pods no node can take says so in its
// log, in submit's report and in --status, and fails after
// spark.kubernetes.allocation.executor.timeout and
// spark.executor.maxNumFailures with that reason, leaving no executor pod.

// status runs gospark submit --status quietly and returns its output and
// whether it succeeded (it fails while no driver pod matches).
func (s *submitEnv) status(t *testing.T, id string) (string, bool) {
	t.Helper()
	bin, err := gosparkOnce()
	if err != nil {
		t.Fatalf("building gospark: %v", err)
	}
	cmd := exec.Command(bin, "submit", "--master", "k8s://"+s.server, "--status", id)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.kubeconfig)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("gospark submit --status %s: %v", id, err)
	}
	return out.String(), err == nil
}

// The node has about 24 GiB: executors of 200g fit on no node, the driver
// does (fake nodes, if any, are tainted). This is what a node filled by other drivers looks like to an
// application: "Insufficient memory".
func TestDeadlockUnschedulableExecutorsAreReportedAndEndTheApplication(t *testing.T) {
	s := newSubmitEnv(t)
	start := time.Now()
	r := s.submitAsync(t, append(s.base("deadlock",
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.executor.memory=200g",
		"--conf", "spark.kubernetes.allocation.executor.timeout=15s",
		"--conf", "spark.executor.maxNumFailures=2",
		"--conf", "spark.kubernetes.report.interval=2s"),
		"local:///opt/gospark/examples/sparkpi", "4")...)
	const why = "Insufficient memory"

	// While it waits: --status shows the pending executors and why, and
	// the driver's log says so at WARN.
	id := s.ns + ":deadlock-*"
	deadline := time.Now().Add(90 * time.Second)
	var st string
	for {
		st, _ = s.status(t, id)
		if strings.Contains(st, "Executor pods pending: 2 of 2") && strings.Contains(st, why) {
			break
		}
		if r.finished() {
			out, code := r.wait(t)
			t.Fatalf("the application ended (exit %d) before --status showed its pending executors:\n%s\nlast --status:\n%s", code, out, st)
		}
		if time.Now().After(deadline) {
			t.Fatalf("--status never showed 2 executor pods pending with %q:\n%s", why, st)
		}
		time.Sleep(time.Second)
	}
	t.Logf("--status while pending:\n%s", st)
	if !regexp.MustCompile(`\t executor pods: 2 \(0 running\)\n`).MatchString(st) ||
		!regexp.MustCompile(`  2 unschedulable: \d+/\d+ nodes are available: .*`+why+`.* \(executors \d+, \d+\)`).MatchString(st) {
		t.Errorf("--status does not list the 2 executor pods, none running, unschedulable with the scheduler's reason")
	}
	s.waitForLog(t, r, "executor pods cannot be scheduled", time.Minute)

	out, code := r.wait(t)
	t.Logf("ended after %s", time.Since(start).Round(time.Second))
	if code == 0 {
		t.Fatalf("an application whose executors fit on no node succeeded")
	}
	if n := strings.Count(out, "Executor pods pending: 2 of 2"); n < 2 {
		t.Errorf("submit reported the pending executors %d times, want every report interval", n)
	}
	if !regexp.MustCompile(`  2 unschedulable: \d+/\d+ nodes are available: .*` + why + `.* \(executors \d+, \d+\)`).MatchString(out) {
		t.Errorf("submit's pending report does not give the scheduler's reason %q", why)
	}
	for _, want := range []string{
		"spark.executor.maxNumFailures=2",
		"still pending 15s after it was requested (spark.kubernetes.allocation.executor.timeout)",
		// The driver's termination message.
		"Reason: container spark-kubernetes-driver exited with code 1: 3 executor failures, more than spark.executor.maxNumFailures=2 allows",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("submit's output does not say %q", want)
		}
	}

	log := s.driverLog(t)
	warn := lineWith(log, "level=WARN", "executor pods cannot be scheduled", why)
	if warn == "" {
		t.Errorf("the driver's log has no WARN line naming the pending executors and %q:\n%s", why, log)
	} else {
		for _, want := range []string{"spark.kubernetes.allocation.executor.timeout", "spark.executor.maxNumFailures", "pods=2", "waiting="} {
			if !strings.Contains(warn, want) {
				t.Errorf("the WARN line does not say %q: %s", want, warn)
			}
		}
	}
	// Said at an interval, not every round (a round a second at least,
	// for about 30 s): a first line, one per replacement batch at most.
	if n := strings.Count(log, "executor pods cannot be scheduled"); n > 4 {
		t.Errorf("the driver logged the unschedulable executors %d times in about 30 s", n)
	}

	// After the end, the driver pod's status says why.
	st, ok := s.status(t, id)
	if !ok {
		t.Errorf("--status after the end failed")
	}
	t.Logf("--status after the end:\n%s", st)
	for _, want := range []string{"exit code 1", "problem: container spark-kubernetes-driver exited with code 1: 3 executor failures, more than spark.executor.maxNumFailures=2 allows",
		"(spark.kubernetes.allocation.executor.timeout): unschedulable: ", why, "\t executor pods: 0 (0 running)"} {
		if !strings.Contains(st, want) {
			t.Errorf("--status after the end does not say %q", want)
		}
	}

	// No executor pod remains.
	deadline = time.Now().Add(time.Minute)
	for {
		left := s.pods(t, "spark-role=executor")
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var names []string
			for _, p := range left {
				names = append(names, p.Name+" "+string(p.Status.Phase))
			}
			t.Fatalf("executor pods left a minute after the application ended: %v", names)
		}
		time.Sleep(time.Second)
	}
}
