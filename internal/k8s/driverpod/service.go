package driverpod

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// removeServices deletes the driver's Services (its headless Service and
// the UI's NodePort Service, if any) once the application has exited, with
// spark.kubernetes.driver.service.deleteOnTermination (true by default), as
// Spark's scheduler backend does when it stops: nothing should reach a
// driver that is gone. Otherwise they stay until the driver pod, their
// owner, is deleted. Failures are logged: the application's result stands.
func removeServices(ctx context.Context, conf *config.Conf, client func(*config.Conf) (kubernetes.Interface, error), log *slog.Logger) {
	if !conf.Bool("spark.kubernetes.driver.service.deleteOnTermination") {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	cs, err := client(conf)
	if err == nil {
		var names []string
		names, err = deleteServices(ctx, cs, conf)
		if len(names) > 0 {
			log.Info("deleted the driver's services (spark.kubernetes.driver.service.deleteOnTermination)", "services", names)
		}
	}
	if err != nil {
		log.Warn("deleting the driver's services", "error", err)
	}
}

// deleteServices deletes the Services of the application that the driver
// pod owns, and returns their names.
func deleteServices(ctx context.Context, cs kubernetes.Interface, conf *config.Conf) ([]string, error) {
	ns := conf.String("spark.kubernetes.namespace")
	driver := conf.String("spark.kubernetes.driver.pod.name")
	appID := conf.String("spark.app.id")
	if driver == "" || appID == "" {
		return nil, nil // not a driver pod that gospark submit made
	}
	api := cs.CoreV1().Services(ns)
	list, err := api.List(ctx, metav1.ListOptions{LabelSelector: labels.Set{pods.LabelAppSelector: appID}.String()})
	if err != nil {
		return nil, fmt.Errorf("listing the driver's services in namespace %s: %w", ns, err)
	}
	var names []string
	var errs []error
	for _, svc := range list.Items {
		owned := false
		for _, o := range svc.OwnerReferences {
			owned = owned || (o.Kind == "Pod" && o.Name == driver)
		}
		if !owned {
			continue
		}
		if err := api.Delete(ctx, svc.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting service %s: %w", svc.Name, err))
			continue
		}
		names = append(names, svc.Name)
	}
	return names, errors.Join(errs...)
}
