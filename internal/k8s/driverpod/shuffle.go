package driverpod

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
)

// shuffleDaemonSet is how a user creates the external shuffle service.
const shuffleDaemonSet = "kubectl create -f conf/kubernetes-shuffle-service.yaml"

// shuffleTTL is how long the address of a node's shuffle service is
// reused: a burst of executors on one node asks the API server once, and
// a shuffle service pod that restarted (with a new IP) is found again
// seconds later.
const shuffleTTL = 5 * time.Second

// shuffleServices finds the pods of the external shuffle service
// (spark.shuffle.service.enabled), as the fork's
// KubernetesExternalShuffleManager does: the pods that
// spark.kubernetes.shuffle.labels selects in
// spark.kubernetes.shuffle.namespace, one per node (a DaemonSet). From
// them come the host directory executors write their shuffle files to and
// the service that serves an executor's node.
type shuffleServices struct {
	api       kubernetes.Interface
	namespace string
	labels    string // as the property gives them, for messages
	selector  labels.Selector
	port      int
	// account is the driver's service account, for messages about
	// permissions.
	account, driverNamespace string
	now                      func() time.Time

	mu    sync.Mutex
	addrs map[string]cachedAddr // by node
}

type cachedAddr struct {
	addr string
	at   time.Time
}

// shuffleDir is the host directory the shuffle service reads: executors
// mount it where the service does, so that a path means the same in both.
type shuffleDir struct {
	HostPath  string // the hostPath volume's path
	MountPath string // where the service's container mounts it
	SubPath   string // the mount's subPath, if any
}

func newShuffleServices(conf *config.Conf, api kubernetes.Interface) (*shuffleServices, error) {
	s := &shuffleServices{api: api, namespace: conf.String("spark.kubernetes.shuffle.namespace"),
		labels: conf.String("spark.kubernetes.shuffle.labels"), port: conf.Int("spark.shuffle.service.port"),
		account: conf.String("spark.kubernetes.authenticate.driver.serviceAccountName"), driverNamespace: conf.String("spark.kubernetes.namespace"),
		now: time.Now, addrs: map[string]cachedAddr{}}
	set, err := parseLabels(s.labels)
	if err != nil {
		return nil, fmt.Errorf("spark.kubernetes.shuffle.labels=%q: %w", s.labels, err)
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("spark.shuffle.service.enabled is true but spark.kubernetes.shuffle.labels is not set: "+
			"it selects the external shuffle service's pods in namespace %q (spark.kubernetes.shuffle.namespace); "+
			"create the shuffle service DaemonSet (%s) and set spark.kubernetes.shuffle.labels to its pods' labels, "+
			"such as app=spark-shuffle-service,spark-version=2.2.0", s.namespace, shuffleDaemonSet)
	}
	s.selector = labels.SelectorFromSet(set)
	return s, nil
}

// parseLabels parses "k1=v1,k2=v2" (empty entries skipped) and checks
// that the keys and values are valid labels.
func parseLabels(v string) (labels.Set, error) {
	set := labels.Set{}
	for kv := range strings.SplitSeq(v, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not key=value", kv)
		}
		set[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	if _, err := labels.ValidatedSelectorFromSet(set); err != nil {
		return nil, err
	}
	return set, nil
}

// where names the pods, for messages.
func (s *shuffleServices) where() string {
	return fmt.Sprintf("labels %s in namespace %s", s.labels, s.namespace)
}

// list lists the shuffle service pods, on node host when it is not "".
func (s *shuffleServices) list(ctx context.Context, host string) ([]corev1.Pod, error) {
	opts := metav1.ListOptions{LabelSelector: s.selector.String()}
	if host != "" {
		opts.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", host).String()
	}
	list, err := s.api.CoreV1().Pods(s.namespace).List(ctx, opts)
	if apierrors.IsForbidden(err) {
		return nil, fmt.Errorf("listing the shuffle service pods (%s): the driver may not list pods there: "+
			"grant its service account %s:%s the right, for instance with "+
			"kubectl create rolebinding spark-shuffle-lookup --clusterrole=view --serviceaccount=%s:%s -n %s: %w",
			s.where(), s.driverNamespace, s.account, s.driverNamespace, s.account, s.namespace, err)
	}
	if err != nil {
		return nil, fmt.Errorf("listing the shuffle service pods (%s): %w", s.where(), err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		// The field selector is the API server's to apply; a server (or
		// a fake) that ignores it must not hand out another node's pod.
		if host == "" || p.Spec.NodeName == host {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// dir checks that the shuffle service runs and returns the host directory
// it serves, from one of its pods' hostPath volume mounts.
func (s *shuffleServices) dir(ctx context.Context) (shuffleDir, error) {
	list, err := s.list(ctx, "")
	if err != nil {
		return shuffleDir{}, err
	}
	if len(list) == 0 {
		return shuffleDir{}, fmt.Errorf("spark.shuffle.service.enabled is true but no pod has the labels %s "+
			"(spark.kubernetes.shuffle.labels) in namespace %s (spark.kubernetes.shuffle.namespace): "+
			"create the shuffle service DaemonSet there first (%s), or correct the two properties",
			s.labels, s.namespace, shuffleDaemonSet)
	}
	// The pods of a DaemonSet share their spec; prefer one that runs.
	p := &list[0]
	for i := range list {
		if list[i].Status.Phase == corev1.PodRunning {
			p = &list[i]
			break
		}
	}
	return hostPathMount(p)
}

// hostPathMount finds the one hostPath volume mounted in p's containers.
func hostPathMount(p *corev1.Pod) (shuffleDir, error) {
	hostPaths := map[string]string{}
	for _, v := range p.Spec.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath.Path
		}
	}
	var found []shuffleDir
	for _, c := range p.Spec.Containers {
		for _, m := range c.VolumeMounts {
			path, ok := hostPaths[m.Name]
			d := shuffleDir{HostPath: path, MountPath: m.MountPath, SubPath: m.SubPath}
			if ok && !slices.Contains(found, d) {
				found = append(found, d)
			}
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return shuffleDir{}, fmt.Errorf("shuffle service pod %s/%s mounts no hostPath volume: executors keep their shuffle files "+
			"in a host directory that the service mounts too (conf/kubernetes-shuffle-service.yaml mounts /var/lib/gospark/shuffle)",
			p.Namespace, p.Name)
	}
	var names []string
	for _, d := range found {
		names = append(names, d.HostPath+" at "+d.MountPath)
	}
	return shuffleDir{}, fmt.Errorf("shuffle service pod %s/%s mounts %d hostPath volumes (%s): want exactly one, the directory it serves",
		p.Namespace, p.Name, len(found), strings.Join(names, ", "))
}

// lookup returns podIP:port of the shuffle service pod on node host.
func (s *shuffleServices) lookup(ctx context.Context, id, host string) (string, error) {
	if host == "" {
		return "", fmt.Errorf("executor %s did not say which node it runs on (%s)", id, launch.EnvHost)
	}
	s.mu.Lock()
	c, ok := s.addrs[host]
	s.mu.Unlock()
	if ok && s.now().Sub(c.at) < shuffleTTL {
		return c.addr, nil
	}
	list, err := s.list(ctx, host)
	if err != nil {
		return "", err
	}
	var serving, others []string
	var ip string
	for i := range list {
		p := &list[i]
		if serves(p) {
			serving = append(serving, p.Name)
			ip = p.Status.PodIP
		} else {
			others = append(others, fmt.Sprintf("%s (%s)", p.Name, p.Status.Phase))
		}
	}
	const must = "spark.kubernetes.shuffle.labels must select exactly one pod on each node that runs executors"
	switch len(serving) {
	case 0:
		notReady := ""
		if len(others) > 0 {
			notReady = "; not running and ready: " + strings.Join(others, ", ")
		}
		return "", fmt.Errorf("no shuffle service pod with %s on node %s%s (%s)", s.where(), host, notReady, must)
	case 1:
	default:
		return "", fmt.Errorf("%d shuffle service pods with %s on node %s: %s (%s)",
			len(serving), s.where(), host, strings.Join(serving, ", "), must)
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(s.port))
	s.mu.Lock()
	s.addrs[host] = cachedAddr{addr: addr, at: s.now()}
	s.mu.Unlock()
	return addr, nil
}

// serves tells whether a shuffle service pod can take connections: it
// runs, has an address, is not being deleted, and is ready when its
// readiness is known.
func serves(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" || p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return true
}

// mountShuffleDir gives an executor pod the shuffle service's host
// directory, mounted where the service mounts it, and tells the executor
// where that is (launch.EnvShuffleDir) and which node it runs on
// (launch.EnvHost, from the downward API), so that the driver finds the
// service of its node.
func mountShuffleDir(p *corev1.Pod, d shuffleDir) error {
	const volume = "spark-shuffle-service-dir"
	for _, v := range p.Spec.Volumes {
		if v.Name == volume {
			return fmt.Errorf("executor pod volume %s is reserved for the external shuffle service's directory", volume)
		}
	}
	ctr := &p.Spec.Containers[0]
	for _, m := range ctr.VolumeMounts {
		if m.MountPath == d.MountPath {
			return fmt.Errorf("executor pod volume %s is mounted at %s, where the external shuffle service's directory goes "+
				"(the shuffle service pods mount it there)", m.Name, d.MountPath)
		}
	}
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{
		HostPath: &corev1.HostPathVolumeSource{Path: d.HostPath, Type: new(corev1.HostPathDirectoryOrCreate)}}})
	ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: volume, MountPath: d.MountPath, SubPath: d.SubPath})
	ctr.Env = append(ctr.Env,
		corev1.EnvVar{Name: launch.EnvShuffleDir, Value: d.MountPath},
		corev1.EnvVar{Name: launch.EnvHost, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}})
	return nil
}
