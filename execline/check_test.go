package execline

import (
	"slices"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, script string
		problem      string // a part of the error; "" for none
	}{
		{"empty", "# nothing", ""},
		{"external", "/etc/s6-overlay/s6-rc.d/init/run", ""},
		{"external args are its own", `sh -c "pipeline x" pipeline forx`, ""},
		{"exec", "#!/bin/sh\nexec /etc/s6-overlay/scripts/01-acarshub.sh", ""},
		{"foreground chain", "foreground { mkdir -p /data } foreground { echo hi } cat /x", ""},
		{"if chain", "if { mkdir -p /a }\nif { chown -R nobody /a }\nchmod -R 02755 /a", ""},
		{"with-contenv ends the walk", "with-contenv pipeline", ""},
		{"path of a builtin", "/command/foreground { /command/exec true } true", ""},
		{"nested", "foreground { if -n { true } background { s6-sleep -m 1 } true } exit 0", ""},
		{"ifelse both branches", "ifelse { true } { s6-echo yes } s6-echo no", ""},
		{"substitution chain", `importas -D 0 K S6_KEEP_ENV define -s X "a b" backtick -E Y { s6-echo y } exec -c $X`, ""},
		{"fds", "fdmove -c 2 1 redirfd -w 1 /dev/null fdclose 3 fdswap 1 2 true", ""},
		{"env", "emptyenv -p export A b unexport C cd / umask 022 true", ""},
		{"execlineb -c is checked", `execlineb -Pc "foreground { true } true"`, ""},
		{"execlineb file is not read", "execlineb -S1 /no/such/script", ""},
		{"exit ends", "exit 0 pipeline", ""},
		{"s6-echo ends", "s6-echo pipeline", ""},

		{"unsupported first", "pipeline { echo } cat", `unsupported execline program "pipeline"`},
		{"unsupported after a builtin", "cd / forx x { a } b", `"forx"`},
		{"unsupported in a block", "foreground { ifte { a } { b } c } d", `"ifte"`},
		{"unsupported in a nested block", "foreground { if { trap { } x } y } z", `"trap"`},
		{"unsupported in then", "ifelse { true } { withstdinas X } s6-echo", `"withstdinas"`},
		{"unsupported in else", "ifelse { true } { true } /command/case", `"/command/case"`},
		{"unsupported after s6-sleep", "s6-sleep 1 heredoc 0 x cat", `"heredoc"`},
		{"unsupported in execlineb -c", `execlineb -c "getpid P true"`, `"getpid"`},
		{"eltest", "if { eltest ${1} -ne 0 -a ${1} -ne 256 } /run/s6/basedir/bin/halt", ""},
		{"bad eltest", "if { eltest 1 -eq } true", "eltest: parse error at argument 2"},
		{"unterminated block", "foreground { true", "unmatched {"}, // the lexer sees it first
		{"unknown option", "if -q { true } true", "unknown option -q"},
		{"background -d", "background -d { true } true", "-d"},
		{"empty background block", "background { } true", "empty block"},
		{"backtick needs a rest", "backtick X { true }", "must not be empty"},
		{"bad fd", "fdmove a 1 true", "numbers"},
		{"redirfd without mode", "redirfd 1 /x true", "one of"},
		{"exec without program", "exec -c", "no program"},
		{"cd without program", "cd /", "too few"},
		{"bad exit", "exit x", "not a number"},
		{"bad sleep", "s6-sleep x", "not a number"},
		{"if -x too big", "if -x 300 { true } true", "invalid exit code"},
		{"ifelse without then", "ifelse { true }", "then block required"},
		{"bad execlineb -c", `execlineb -c "a {"`, "unmatched {"},
		{"error names the program", "foreground { exec } true", "exec: no program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argv, err := Lex([]byte(tt.script))
			if err == nil {
				err = Check(argv)
			}
			if tt.problem == "" && err != nil || tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)) {
				t.Errorf("Check(%q) = %v; want %q", tt.script, err, tt.problem)
			}
		})
	}
}

// TestCheckBlocksByHand: a command line written by hand, with unquoted
// blocks (foreground echo 1 "" echo 2), is what the programs accept too.
func TestCheckBlocksByHand(t *testing.T) {
	if err := Check([]string{"foreground", "pipeline", "", "true"}); err == nil {
		t.Error(`Check(foreground pipeline "" true) = nil; want the unsupported pipeline`)
	}
	if err := Check([]string{"foreground", "echo", "1", "", "echo", "2"}); err != nil {
		t.Errorf("Check(foreground echo 1 \"\" echo 2) = %v", err)
	}
}

func TestBuiltins(t *testing.T) {
	for _, name := range []string{"execlineb", "foreground", "background", "if", "ifelse", "exec", "cd",
		"fdmove", "fdclose", "fdswap", "redirfd", "importas", "define", "backtick", "emptyenv",
		"export", "unexport", "exit", "s6-echo", "s6-sleep"} {
		if !IsBuiltin(name) || !slices.Contains(Builtins, name) {
			t.Errorf("%s is not a builtin", name)
		}
	}
	for _, name := range append([]string{"vigil", "sh", "/command/exec", ""}, keys(unsupported)...) {
		if IsBuiltin(name) {
			t.Errorf("IsBuiltin(%q) = true", name)
		}
	}
	if !slices.IsSorted(Builtins) {
		t.Errorf("Builtins not sorted: %q", Builtins)
	}
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// FuzzCheck: Check never panics, whatever command line a script makes:
// it parses every builtin's options and blocks and runs nothing.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"foreground { if -n { true } s6-echo } exit 1",
		`backtick -E -D "" X { eltest ( 1 -eq 1 ) -o ! -n "" } redirfd -wnb 1 /x importas -sCd: P PATH cd / pipeline`,
		"execlineb -S2 -c \"ifelse { } { exec -a x y } define A B emptyenv -pP fdswap 1 2 umask 22 s6-sleep -m 5\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if argv, err := Lex(data); err == nil {
			Check(argv)
		}
	})
}
