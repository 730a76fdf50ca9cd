package process

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const userPasswd = `root:x:0:0:root:/root:/bin/sh
# a comment
+nis
daemon:x:1:1::/usr/sbin:/usr/sbin/nologin
www:x:33:33:www:/var/www:/bin/false
nohome:x:1001:1001:::/bin/sh
short:x:1002:1002
broken:x:abc:1:::
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
dup:x:33:7:second www:/elsewhere:/bin/sh
`

const userGroup = `root:x:0:
www:x:33:
staff:x:50:www,alice
adm:x:4:alice, www
nogroup:x:65534:
bad:x:zz:www
short:x
`

func TestLookupUser(t *testing.T) {
	dir := t.TempDir()
	passwd, group := filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
	writeTree(t, dir, tree{"passwd": txt(userPasswd), "group": txt(userGroup)})
	tests := []struct {
		spec string
		want User
	}{
		{"root", User{Uid: 0, Gid: 0, Groups: []uint32{0}, Name: "root", Home: "/root"}},
		{"www", User{Uid: 33, Gid: 33, Groups: []uint32{4, 33, 50}, Name: "www", Home: "/var/www"}},
		{"www:staff", User{Uid: 33, Gid: 50, Groups: []uint32{4, 50}, Name: "www", Home: "/var/www"}},
		{"www:7", User{Uid: 33, Gid: 7, Groups: []uint32{4, 7, 50}, Name: "www", Home: "/var/www"}},
		{"33", User{Uid: 33, Gid: 33, Groups: []uint32{4, 33, 50}, Name: "www", Home: "/var/www"}},
		{"033:0", User{Uid: 33, Gid: 0, Groups: []uint32{0, 4, 50}, Name: "www", Home: "/var/www"}},
		{"1234", User{Uid: 1234, Gid: 1234, Groups: []uint32{1234}, Name: "1234", Home: "/"}},
		{"1234:50", User{Uid: 1234, Gid: 50, Groups: []uint32{50}, Name: "1234", Home: "/"}},
		{"1234:staff", User{Uid: 1234, Gid: 50, Groups: []uint32{50}, Name: "1234", Home: "/"}},
		{"nohome", User{Uid: 1001, Gid: 1001, Groups: []uint32{1001}, Name: "nohome", Home: "/"}},
		{"short", User{Uid: 1002, Gid: 1002, Groups: []uint32{1002}, Name: "short", Home: "/"}},
		{"nobody:nogroup", User{Uid: 65534, Gid: 65534, Groups: []uint32{65534}, Name: "nobody", Home: "/nonexistent"}},
		{"4294967294", User{Uid: 4294967294, Gid: 4294967294, Groups: []uint32{4294967294}, Name: "4294967294", Home: "/"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			tt.want.Spec = tt.spec
			got, err := LookupUser(tt.spec, passwd, group)
			if err != nil || !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("LookupUser(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
			}
		})
	}
}

func TestLookupUserErrors(t *testing.T) {
	dir := t.TempDir()
	passwd, group := filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
	writeTree(t, dir, tree{"passwd": txt(userPasswd), "group": txt(userGroup)})
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		spec, passwd, group string
		want                string // "" for success
	}{
		{"ghost", passwd, group, `look up user "ghost": unknown user "ghost": no such name in ` + passwd},
		{"www:ghosts", passwd, group, `look up user "www:ghosts": unknown group "ghosts": no such name in ` + group},
		{"www:short", passwd, group, `look up user "www:short": unknown group "short": no such name in ` + group},
		{"", passwd, group, `look up user "": invalid user ""; want user, user:group, uid or uid:gid`},
		{":1", passwd, group, `look up user ":1": invalid user ":1"; want user, user:group, uid or uid:gid`},
		{"www:", passwd, group, `look up user "www:": invalid user "www:"; want user, user:group, uid or uid:gid`},
		{"4294967295", passwd, group, `look up user "4294967295": uid 4294967295 out of range; want 0..4294967294`},
		{"1:99999999999", passwd, group, `look up user "1:99999999999": gid 99999999999 out of range; want 0..4294967294`},
		{"1000", missing, missing, ""},
		{"1000:20", missing, missing, ""},
		{"www", missing, group, `look up user "www": user "www": open ` + missing + `: no such file or directory`},
		{"1000:staff", missing, missing, `look up user "1000:staff": group "staff": open ` + missing + `: no such file or directory`},
		{"1000", dir, group, `look up user "1000": read ` + dir + `: is a directory`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := LookupUser(tt.spec, tt.passwd, tt.group)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("LookupUser(%q) = %q; want %q", tt.spec, got, tt.want)
			}
		})
	}
}

func TestUserEnviron(t *testing.T) {
	u := &User{Name: "www", Home: "/var/www"}
	want := []EnvEntry{{Name: "HOME", Value: "/var/www"}, {Name: "LOGNAME", Value: "www"}, {Name: "USER", Value: "www"}}
	if got := u.Environ(); !reflect.DeepEqual(got, want) {
		t.Errorf("Environ() = %v; want %v", got, want)
	}
}

func FuzzLookupUser(f *testing.F) {
	f.Add("www", userPasswd, userGroup, false)
	f.Add("33:staff", userPasswd, userGroup, false)
	f.Add("1000:20", "", "", true)
	f.Add("a:b:c", "a:x:1:2:::\n", "b:x:3:a,a\n", false)
	f.Add("x", "x:::::\n::::\n", ":x:1:x\n", false)
	f.Fuzz(func(t *testing.T, spec, passwd, group string, missing bool) {
		pw, gr := accounts{path: "passwd", data: []byte(passwd)}, accounts{path: "group", data: []byte(group)}
		if missing {
			pw, gr = accounts{path: "passwd", err: os.ErrNotExist}, accounts{path: "group", err: os.ErrNotExist}
		}
		u, err := resolveUser(spec, pw, gr)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Errorf("resolveUser(%q) error is empty", spec)
			}
			return
		}
		if u.Name == "" || u.Home == "" || u.Spec != spec {
			t.Errorf("resolveUser(%q) = %+v; want a name, a home and the spec", spec, u)
		}
		if !slices.Contains(u.Groups, u.Gid) || !slices.IsSorted(u.Groups) || len(slices.Compact(slices.Clone(u.Groups))) != len(u.Groups) {
			t.Errorf("resolveUser(%q) groups = %v; want sorted, unique, with gid %d", spec, u.Groups, u.Gid)
		}
		if u.Uid == 1<<32-1 || u.Gid == 1<<32-1 {
			t.Errorf("resolveUser(%q) = uid %d gid %d; want no (uid_t)-1", spec, u.Uid, u.Gid)
		}
	})
}

func TestLookupGroup(t *testing.T) {
	dir := t.TempDir()
	group := filepath.Join(dir, "group")
	writeTree(t, dir, tree{"group": txt(userGroup)})
	tests := []struct {
		name string
		want uint32
		err  string
	}{
		{"staff", 50, ""},
		{"nogroup", 65534, ""},
		{"50", 50, ""}, // a number is its own gid, as for a user spec's group
		{"ghosts", 0, `look up group "ghosts": unknown group "ghosts": no such name in ` + group},
	}
	for _, tt := range tests {
		got, err := LookupGroup(tt.name, group)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.err {
			t.Errorf("LookupGroup(%q) = %d, %q; want %d, %q", tt.name, got, gotErr, tt.want, tt.err)
		}
	}
}

func TestMemberGroups(t *testing.T) {
	dir := t.TempDir()
	group := filepath.Join(dir, "group")
	writeTree(t, dir, tree{"group": txt(userGroup)})
	for name, want := range map[string][]uint32{"www": {50, 4}, "alice": {50, 4}, "root": nil} {
		if got, err := MemberGroups(name, group); err != nil || !slices.Equal(got, want) {
			t.Errorf("MemberGroups(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := MemberGroups("www", filepath.Join(dir, "missing")); err == nil {
		t.Errorf("MemberGroups(missing file) = nil error; want one")
	}
}
