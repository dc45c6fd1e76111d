package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/gospark/gospark/internal/config"
)

// serverConf is the configuration of a long-running server command (the
// staging server, the history server): the properties file when given,
// then each --conf name=value; warnings about the properties go to the
// returned logger.
func serverConf(propertiesFile string, confs []string, stderr io.Writer) (*config.Conf, *slog.Logger, error) {
	conf := config.New()
	if propertiesFile != "" {
		c, err := config.FromFile(propertiesFile)
		if err != nil {
			return nil, nil, err
		}
		conf = c
	}
	for _, kv := range confs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, nil, fmt.Errorf("--conf %q: want name=value", kv)
		}
		if err := conf.Set(k, v); err != nil {
			return nil, nil, fmt.Errorf("--conf: %w", err)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	for _, w := range conf.Warnings() {
		log.Warn(w)
	}
	return conf, log, nil
}
