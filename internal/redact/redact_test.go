package redact

import "testing"

func TestDefaultHidesSecretsByNameAndValue(t *testing.T) {
	r := Default()
	for name, value := range map[string]string{
		"spark.authenticate.secret":                                   "s3cr3t",
		"spark.kubernetes.authenticate.submission.oauthToken":         "abc",
		"spark.ssl.kubernetes.resourceStagingServer.keyStorePassword": "pw",
		"spark.hadoop.fs.s3a.access.key":                              "AKIA",
		"spark.some.setting":                                          "my-token-value",
	} {
		if got := r.Value(name, value); got != Replacement {
			t.Errorf("Value(%q, %q) = %q, want it redacted", name, value, got)
		}
	}
	if got := r.Value("spark.executor.memory", "2g"); got != "2g" {
		t.Errorf("a plain property was changed: %q", got)
	}
}

func TestStringRegex(t *testing.T) {
	r, err := New(DefaultRegex, `pass=[^&]*`)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.String("http://host/x?pass=hunter2&a=b"); got != "http://host/x?"+Replacement+"&a=b" {
		t.Errorf("String = %q", got)
	}
	if _, err := New("(", ""); err == nil {
		t.Error("a bad expression was accepted")
	}
	args := r.Args([]string{"--conf", "spark.authenticate.secret=xyz", "plain"})
	if args[1] != "spark.authenticate.secret="+Replacement || args[2] != "plain" {
		t.Errorf("Args = %q", args)
	}
}
