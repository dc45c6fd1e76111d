package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in, unit string
		want     int64
		wantErr  string
	}{
		{in: "0", want: 0},
		{in: "100", want: 100},
		{in: "100", unit: "k", want: 100 << 10},
		{in: "512", unit: "m", want: 512 << 20},
		{in: "32k", want: 32 << 10},
		{in: "32kb", want: 32 << 10},
		{in: "1g", unit: "m", want: 1 << 30},
		{in: "1GB", want: 1 << 30},
		{in: " 2m ", want: 2 << 20},
		{in: "3t", want: 3 << 40},
		{in: "1p", want: 1 << 50},
		{in: "7b", unit: "m", want: 7},
		{in: "", wantErr: "want a whole number"},
		{in: "abc", wantErr: "want a whole number"},
		{in: "-1", wantErr: "want a whole number"},
		{in: "1.5g", wantErr: "fractional values are not supported"},
		{in: "10x", wantErr: `unknown unit "x"`},
		{in: "2 m", wantErr: `unknown unit " m"`},
		{in: "99999999999p", wantErr: "too large"},
		{in: "99999999999999999999", wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in+"/"+tt.unit, func(t *testing.T) {
			got, err := ParseBytes(tt.in, tt.unit)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseBytes(%q, %q) = %d, %v; want error containing %q", tt.in, tt.unit, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseBytes(%q, %q) = %d, %v; want %d", tt.in, tt.unit, got, err, tt.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in, unit string
		want     time.Duration
		wantErr  string
	}{
		{in: "100", want: 100 * time.Millisecond},
		{in: "100", unit: "ms", want: 100 * time.Millisecond},
		{in: "5", unit: "s", want: 5 * time.Second},
		{in: "250us", want: 250 * time.Microsecond},
		{in: "10s", unit: "ms", want: 10 * time.Second},
		{in: "2m", want: 2 * time.Minute},
		{in: "2min", want: 2 * time.Minute},
		{in: "3H", want: 3 * time.Hour},
		{in: "1d", want: 24 * time.Hour},
		{in: "-1s", want: -time.Second},
		{in: " 7s ", want: 7 * time.Second},
		{in: "", wantErr: "want a whole number"},
		{in: "-", wantErr: "want a whole number"},
		{in: "s", wantErr: "want a whole number"},
		{in: "1.5s", wantErr: "fractional values are not supported"},
		{in: "10sec", wantErr: `unknown unit "sec"`},
		{in: "1ns", wantErr: `unknown unit "ns"`},
		{in: "999999999d", wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in+"/"+tt.unit, func(t *testing.T) {
			got, err := ParseDuration(tt.in, tt.unit)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDuration(%q, %q) = %v, %v; want error containing %q", tt.in, tt.unit, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q, %q) = %v, %v; want %v", tt.in, tt.unit, got, err, tt.want)
			}
		})
	}
}

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{
			name: "separators and comments",
			in: "# a comment\n" +
				"  ! another comment\n" +
				"\n" +
				"spark.master=local[2]\n" +
				"spark.app.name : my app  \n" +
				"spark.executor.memory   2g\n" +
				"\tspark.driver.memory\t=\t3g\t\n" +
				"spark.files=\n" +
				"lonely\n",
			want: map[string]string{
				"spark.master":          "local[2]",
				"spark.app.name":        "my app",
				"spark.executor.memory": "2g",
				"spark.driver.memory":   "3g",
				"spark.files":           "",
				"lonely":                "",
			},
		},
		{
			name: "continuation lines",
			in: "spark.files=a.txt,\\\n" +
				"    b.txt,\\\n" +
				"    c.txt\n" +
				"# comment ending in a backslash is not continued \\\n" +
				"k=v\\\\\n" +
				"spark.app.name=x\\\n",
			want: map[string]string{
				"spark.files":    "a.txt,b.txt,c.txt",
				"k":              `v\`,
				"spark.app.name": "x",
			},
		},
		{
			name: "escapes, CRLF, no final newline, repeated key",
			in:   "a\\=b=c\\:d\r\nsp\\ ace = \\u0041\\tz\r\nrepeat=1\nrepeat=2",
			want: map[string]string{"a=b": "c:d", "sp ace": "A\tz", "repeat": "2"},
		},
		{
			name:    "malformed unicode escape",
			in:      "ok=1\nbad=\\u12\n",
			wantErr: "properties line 2: malformed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d keys %q, want %d %q", len(got), got, len(tt.want), tt.want)
			}
			for k, v := range tt.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("key %q = %q (present %v), want %q", k, g, ok, v)
				}
			}
		})
	}
}

func TestFormatPropertiesRoundTrips(t *testing.T) {
	in := map[string]string{
		"spark.app.name":                  "pi with spaces = and : colons",
		"spark.kubernetes.driverEnv.PATH": `C:\bin;/usr/bin`,
		"spark.executorEnv.MULTI":         "line one\nline two\ttabbed",
		"odd key=with:separators":         "v",
		"#not-a-comment":                  "x",
	}
	out, err := ParseProperties(strings.NewReader(FormatProperties(in)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("got %d properties, want %d: %q", len(out), len(in), out)
	}
	for k, v := range in {
		if out[k] != v {
			t.Errorf("%q: got %q, want %q", k, out[k], v)
		}
	}
}
