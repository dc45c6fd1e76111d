package driverpod

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// logTailLines is how many of an executor container's last lines are
// asked of the API server (it reads them from the end of the file, so a
// long log costs no more than this); of those, the last
// clustermgr.LogTail bytes are kept.
const logTailLines = 20000

// ExecutorLog implements clustermgr.Logs: the end of the log of executor
// id's pod (its executor container's stdout and stderr, as kubectl logs
// shows them), read from the API server (pods/log) while the pod exists.
// A pod that is gone, and an executor that was never started, have no log
// (clustermgr.ErrNoLog).
func (m *podManager) ExecutorLog(ctx context.Context, executorID string) (io.ReadCloser, error) {
	m.mu.Lock()
	cs, ns, prefix := m.cs, m.namespace, m.prefix
	m.mu.Unlock()
	if cs == nil {
		return nil, fmt.Errorf("%w: driverpod: executor %s: no executor pods were started", clustermgr.ErrNoLog, executorID)
	}
	name := pods.ExecutorPodName(prefix, executorID)
	if errs := validation.IsDNS1123Label(name); executorID == "" || len(errs) > 0 {
		return nil, fmt.Errorf("%w: driverpod: no executor %q", clustermgr.ErrNoLog, executorID)
	}
	podsAPI := cs.CoreV1().Pods(ns)
	pod, err := podsAPI.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w: driverpod: executor %s: its pod %s is gone, and its log with it", clustermgr.ErrNoLog, executorID, name)
		}
		return nil, fmt.Errorf("driverpod: executor %s: reading pod %s: %w", executorID, name, err)
	}
	tail := int64(logTailLines)
	container := pods.ExecContainer
	if len(pod.Spec.Containers) > 0 { // a pod template may name it
		container = pod.Spec.Containers[0].Name
	}
	stream, err := podsAPI.GetLogs(name, &corev1.PodLogOptions{Container: container, TailLines: &tail}).Stream(ctx)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w: driverpod: executor %s: its pod %s is gone, and its log with it", clustermgr.ErrNoLog, executorID, name)
		}
		// A container that has not started yet, ...: the API server's words.
		return nil, fmt.Errorf("driverpod: executor %s: log of pod %s: %w", executorID, name, err)
	}
	defer stream.Close()
	b, err := lastBytes(stream, clustermgr.LogTail)
	if err != nil {
		return nil, fmt.Errorf("driverpod: executor %s: log of pod %s: %w", executorID, name, err)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// lastBytes reads r to its end and returns at most its last n bytes; when
// that is not all of it, from the first whole line in them.
func lastBytes(r io.Reader, n int) ([]byte, error) {
	var buf []byte
	cut := false
	chunk := make([]byte, 64<<10)
	for {
		k, err := r.Read(chunk)
		buf = append(buf, chunk[:k]...)
		if len(buf) > 2*n {
			buf = append(buf[:0], buf[len(buf)-n:]...)
			cut = true
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(buf) > n {
		buf, cut = buf[len(buf)-n:], true
	}
	if cut {
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	return buf, nil
}
