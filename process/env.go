package process

import "strings"

// EnvEntry is one variable of an envdir, or one change to an environment:
// set Name to Value, or unset it.
type EnvEntry struct {
	Name  string
	Value string
	Unset bool // the envdir file was empty
}

// ApplyEnv returns a new KEY=VALUE list: env with entries applied. A set
// entry replaces the variable where it first appears (dropping any later
// duplicate) or is appended, in entries' order, when env lacks it; an
// unset entry removes every occurrence. Untouched variables keep their
// order. When entries names a variable twice, the last one wins.
func ApplyEnv(env []string, entries []EnvEntry) []string {
	byName := make(map[string]EnvEntry, len(entries))
	for _, e := range entries {
		byName[e.Name] = e
	}
	done := make(map[string]bool, len(entries))
	out := make([]string, 0, len(env)+len(entries))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		e, ok := byName[name]
		switch {
		case !ok:
			out = append(out, kv)
		case !e.Unset && !done[name]:
			out = append(out, name+"="+e.Value)
		}
		done[name] = true
	}
	for _, e := range entries {
		if e = byName[e.Name]; !e.Unset && !done[e.Name] {
			out = append(out, e.Name+"="+e.Value)
			done[e.Name] = true
		}
	}
	return out
}

// LookupEnv returns the value of key in env (KEY=value entries; the first
// one wins, as with getenv(3)), "" when it is not there.
func LookupEnv(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}
