package config

import "testing"

// Found when tried: "did you mean" offered prefix properties that would
// silently turn a misspelt property into an environment variable or a
// secret. A prefix property is suggested only for a misspelt prefix, with
// the user's key kept whole.
func TestSuggestionsNeverTurnAPropertyIntoAKey(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"spark.kubernetes.driver.podTemplate", "spark.kubernetes.driver.podTemplateFile"},                   // was driverEnv.podTemplate
		{"spark.kubernetes.driver.podTemplateContainer", "spark.kubernetes.driver.podTemplateContainerName"}, // was driverEnv.podTemplateContainer
		{"spark.kubernetes.driver.secretsKeyRf.DB_USER", "spark.kubernetes.driver.secretKeyRef.DB_USER"},     // was secrets.KeyRf.DB_USER
		{"spark.kubernetes.driver.secretKey.DB_USER", ""},                                                    // was secrets.Key.DB_USER
		{"spark.kubernetes.driver.secretRef.DB_USER", ""},                                                    // was secrets.Ref.DB_USER
		{"spark.kubernetes.driver.secretKeyRefDB_USER", ""},                                                  // was secretKeyRef.B_USER
		// A misspelt prefix is still worth a suggestion.
		{"spark.kubernetes.driver.secretKeyRf.DB_USER", "spark.kubernetes.driver.secretKeyRef.DB_USER"},
		{"spark.kubernetes.driver.secret.creds", "spark.kubernetes.driver.secrets.creds"},
		{"spark.kubernetes.driver.lable.team", "spark.kubernetes.driver.label.team"},
		{"spark.kubernetes.driver.env.MODE", "spark.kubernetes.driverEnv.MODE"},
		{"spark.executorEnvv.TZ", "spark.executorEnv.TZ"},
	} {
		if got := closest(tc.name); got != tc.want {
			t.Errorf("closest(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
	// The names of the issue are properties now.
	c := New()
	for _, kv := range [][2]string{{"spark.kubernetes.driver.podTemplateFile", "/t.yaml"}, {"spark.kubernetes.driver.secretKeyRef.DB_USER", "db:user"}} {
		if err := c.Set(kv[0], kv[1]); err != nil {
			t.Errorf("%s: %v", kv[0], err)
		}
	}
}
