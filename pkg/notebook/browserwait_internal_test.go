package notebook

import (
	"strings"
	"testing"
	"time"
)

func TestBrowserWaitFromTheEnvironment(t *testing.T) {
	t.Setenv(BrowserWaitEnv, "")
	if d, err := browserWait(); err != nil || d != BrowserWait {
		t.Errorf("unset: %v, %v; want BrowserWait (%v)", d, err, BrowserWait)
	}
	t.Setenv(BrowserWaitEnv, "10m")
	if d, err := browserWait(); err != nil || d != 10*time.Minute {
		t.Errorf("10m: %v, %v", d, err)
	}
	for _, bad := range []string{"ten", "-5s", "0s", "600"} {
		t.Setenv(BrowserWaitEnv, bad)
		if _, err := browserWait(); err == nil || !strings.Contains(err.Error(), BrowserWaitEnv+"=\""+bad+"\"") {
			t.Errorf("%q: error %v, want one naming the value", bad, err)
		}
	}
}
