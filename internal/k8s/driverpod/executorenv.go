package driverpod

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/launch"
)

// What executor pods get besides what pods.Build makes of the
// configuration: the executors' pod template read once, the driver pod's
// address (SPARK_DRIVER_POD_IP, as Spark gives it) and spark.authenticate's
// secret kept in a Secret instead of the pod spec.

// EnvDriverPodIP is the driver pod's address in the executors'
// environment, as in Spark.
const EnvDriverPodIP = "SPARK_DRIVER_POD_IP"

// AuthSecretKey is the key of spark.authenticate's secret in the
// executors' authentication Secret.
const AuthSecretKey = "auth-secret"

// AuthSecretName is the name of the executors' authentication Secret of
// the executor pods named from prefix.
func AuthSecretName(prefix string) string { return prefix + "-exec-auth" }

// CreateAuthSecret keeps spark.authenticate's secret for the executor pods
// in a Secret, AuthSecretName(prefix), labelled with the application and
// owned by owner (the driver pod; nil for none, when the caller removes it
// itself), so that the executor pods reference it (secretKeyRef) and
// their spec shows no secret. A Secret of that name left by an earlier
// start of the same driver is replaced. It returns the Secret's name.
func CreateAuthSecret(ctx context.Context, cs kubernetes.Interface, namespace, prefix, appID, secret string, owner *metav1.OwnerReference) (string, error) {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: AuthSecretName(prefix), Namespace: namespace,
			Labels: map[string]string{pods.LabelAppSelector: appID, pods.LabelRole: string(pods.Executor)}},
		Data: map[string][]byte{AuthSecretKey: []byte(secret)},
	}
	if owner != nil {
		s.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	api := cs.CoreV1().Secrets(namespace)
	_, err := api.Create(ctx, s, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = api.Update(ctx, s, metav1.UpdateOptions{})
	}
	if err != nil {
		return "", fmt.Errorf("the executors' authentication secret %s/%s: %w", namespace, s.Name, err)
	}
	return s.Name, nil
}

// prepare reads the executors' pod template, notes the driver pod's
// address (its downward API variable) and, with spark.authenticate,
// creates the authentication Secret. A driver whose service account may
// not create Secrets gives executors the secret as a plain value, as
// before, and says so.
func (t *executorPod) prepare(ctx context.Context, cs kubernetes.Interface, log *slog.Logger) error {
	tmpl, err := pods.ReadTemplate(t.conf, pods.Executor)
	if err != nil {
		return err
	}
	t.template = tmpl
	t.driverIP = os.Getenv(launch.EnvPodIP)
	if t.contract.Secret != "" {
		t.authSecret, err = CreateAuthSecret(ctx, cs, t.namespace, t.prefix, t.contract.AppID, t.contract.Secret, t.owner)
		if apierrors.IsForbidden(err) {
			log.Warn("the executor pods get spark.authenticate's secret as a plain environment value, visible in their spec: the driver's service account may not create Secrets", "error", err)
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// env is executor id's environment: the launch contract's, with the
// secret as a reference to the authentication Secret when there is one,
// the block server's address (the pod's own, from the downward API) and
// the driver pod's address.
func (t executorPod) env(id string) []corev1.EnvVar {
	var env []corev1.EnvVar
	for _, v := range t.contract.Env(id, "") {
		if v.Name == launch.EnvSecret && t.authSecret != "" {
			env = append(env, corev1.EnvVar{Name: v.Name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: t.authSecret}, Key: AuthSecretKey}}})
			continue
		}
		env = append(env, corev1.EnvVar{Name: v.Name, Value: v.Value})
	}
	env = append(env, corev1.EnvVar{Name: launch.EnvBindHost,
		ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}})
	if t.driverIP != "" {
		env = append(env, corev1.EnvVar{Name: EnvDriverPodIP, Value: t.driverIP})
	}
	return env
}
