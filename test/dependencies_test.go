package test

import (
	"strings"
	"testing"
)

// TestDependencyOrder: dependencies (a file with comments) and
// dependencies.d/ order the start (a service starts once its dependencies
// are ready) and, reversed, the stop (once its dependents are down). Names
// are chosen so that name order is the wrong order.
func TestDependencyOrder(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	// svc appends "start NAME" and tells readiness; on TERM it appends
	// "stop NAME" and exits.
	svc := func(name, delay string) string {
		return shScript(`trap 'echo "stop ` + name + `" >> "$OUT/order"; exit 0' TERM
sleep ` + delay + `
echo "start ` + name + `" >> "$OUT/order"
echo >&3
while :; do sleep 1; done`)
	}
	tr.service("z", map[string]string{"run": svc("z", "0.3"), "notification-fd": "3\n"})
	tr.service("m", map[string]string{
		"run": svc("m", "0.2"), "notification-fd": "3\n",
		"dependencies": "# the database first\n\n  z  \n",
	})
	tr.service("a", map[string]string{
		"run": svc("a", "0"), "notification-fd": "3\n",
		"dependencies.d/m": "",
	})
	v := tr.start(nil)
	tr.waitLines("order", 3)
	v.noZombieChild()
	v.termNoCmd()
	want := []string{"start z", "start m", "start a", "stop a", "stop m", "stop z"}
	if got := tr.lines("order"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("order of starts and stops = %q; want %q", got, want)
	}
}

// TestIndependentTogether: independent services start together and stop
// together: each waits, while starting and while stopping, to see the
// other do the same; one at a time, the first would wait in vain (5 s).
func TestIndependentTogether(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	// waitFor waits up to 5 s for line in $OUT/order and, if it comes,
	// appends what to $OUT/seen.
	waitFor := func(line, what string) string {
		return `i=0; until grep -qx "` + line + `" "$OUT/order" || [ $i -ge 250 ]; do sleep 0.02; i=$((i+1)); done; ` +
			`grep -qx "` + line + `" "$OUT/order" && echo "` + what + `" >> "$OUT/seen"`
	}
	for _, p := range [][2]string{{"a", "b"}, {"b", "a"}} {
		me, other := p[0], p[1]
		tr.service(me, map[string]string{
			"notification-fd": "3\n",
			"run": shScript(`trap 'echo "stop ` + me + `" >> "$OUT/order"; ` + waitFor("stop "+other, me+" saw "+other+" stopping") + `; exit 0' TERM
echo "start ` + me + `" >> "$OUT/order"
` + waitFor("start "+other, me+" saw "+other+" starting") + `
echo >&3
while :; do sleep 1; done`),
		})
	}
	v := tr.start([]string{"VIGIL_SERVICES_GRACETIME=20s", "VIGIL_SHUTDOWN_TIMEOUT=30s"})
	tr.waitLines("seen", 2)
	v.termNoCmd()
	got := tr.lines("seen")
	for _, want := range []string{"a saw b starting", "b saw a starting", "a saw b stopping", "b saw a stopping"} {
		if indexOf(got, want) < 0 {
			t.Errorf("%q missing from %q: independent services not started or stopped together", want, got)
		}
	}
}
