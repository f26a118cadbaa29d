package cleanlocale_test

import (
	"os"
	"testing"

	"github.com/streetdesk/streetdesk/internal/cleanlocale"
)

func TestFix(t *testing.T) {
	const unset = "<unset>"
	for _, tc := range []struct {
		name                    string
		lcAll, lcMessages, lang string
		wantAll, wantMsg, wantL string
	}{
		{"C.UTF-8", unset, unset, "C.UTF-8", unset, cleanlocale.English, "C.UTF-8"},
		{"C", unset, unset, "C", unset, cleanlocale.English, "C"},
		{"POSIX", unset, unset, "POSIX", unset, cleanlocale.English, "POSIX"},
		{"nothing set", unset, unset, unset, unset, cleanlocale.English, unset},
		{"Chinese", unset, unset, "zh_CN.UTF-8", unset, unset, "zh_CN.UTF-8"},
		{"LC_ALL C.UTF-8", "C.UTF-8", unset, "zh_CN.UTF-8", unset, cleanlocale.English, "C.UTF-8"},
		{"LC_ALL Chinese wins over LANG=C", "zh_CN.UTF-8", unset, "C", "zh_CN.UTF-8", unset, "C"},
		{"LC_MESSAGES C", unset, "C.utf8", "zh_CN.UTF-8", unset, cleanlocale.English, "zh_CN.UTF-8"},
		{"C with modifier", unset, unset, "C@euro", unset, cleanlocale.English, "C@euro"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := func(k, v string) {
				t.Setenv(k, "") // restores the old value afterwards
				if v == unset {
					os.Unsetenv(k)
				} else {
					os.Setenv(k, v)
				}
			}
			set("LC_ALL", tc.lcAll)
			set("LC_MESSAGES", tc.lcMessages)
			set("LANG", tc.lang)
			cleanlocale.Fix()
			cleanlocale.Fix() // idempotent
			get := func(k string) string {
				if v, ok := os.LookupEnv(k); ok {
					return v
				}
				return unset
			}
			if got := get("LC_ALL"); got != tc.wantAll {
				t.Errorf("LC_ALL = %q, want %q", got, tc.wantAll)
			}
			if got := get("LC_MESSAGES"); got != tc.wantMsg {
				t.Errorf("LC_MESSAGES = %q, want %q", got, tc.wantMsg)
			}
			if got := get("LANG"); got != tc.wantL {
				t.Errorf("LANG = %q, want %q", got, tc.wantL)
			}
		})
	}
}
