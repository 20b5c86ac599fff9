package service_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

// createBase is a create request the emulator accepts; mods change it.
func createBase(name string, mods ...func(*devenvv1.CreateInstanceRequest)) *devenvv1.CreateInstanceRequest {
	r := &devenvv1.CreateInstanceRequest{
		ProjectId:   project,
		Name:        name,
		Description: proto.String("a notebook"),
		ProfileId:   "Multi-Engine 1.0 (python3)-cpu",
		Flavor:      "modelarts.vm.cpu.2u",
		Spec: &devenvv1.CreateInstanceSpec{
			Storage:  obsStorage("/bucket/dir/"),
			AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(3600)},
		},
		Workspace: &devenvv1.Workspace{Id: proto.String("0")},
	}
	for _, m := range mods {
		m(r)
	}
	return r
}

func obsStorage(path string) *devenvv1.Storage {
	return &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String(path)}}
}

func storage(typ, path string) *devenvv1.Storage {
	st := &devenvv1.Storage{Location: &devenvv1.StorageLocation{Path: proto.String(path)}}
	if typ != "" {
		st.Type = proto.String(typ)
	}
	return st
}

// annotations returns n annotations with keys and values of the given
// lengths (keys made distinct in their first characters).
func annotations(n, keyLen, valueLen int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		k := fmt.Sprintf("%03d", i)
		k += strings.Repeat("k", max(keyLen-len(k), 0))
		m[k[:keyLen]] = strings.Repeat("v", valueLen)
	}
	return m
}

func TestCreateInstance_validation(t *testing.T) {
	t.Parallel()
	f := startValidation(t)
	type mod = func(*devenvv1.CreateInstanceRequest)
	var cases []valCase[*devenvv1.CreateInstanceRequest]
	// bad adds a case expecting violations, ok a valid one; each gets a
	// name of its own, unique in the project, unless a mod sets another.
	n := 0
	add := func(name, upstream string, bad []string, mods ...mod) {
		n++
		cases = append(cases, valCase[*devenvv1.CreateInstanceRequest]{name: name,
			req: createBase(fmt.Sprintf("val-%03d", n), mods...), bad: bad, upstream: upstream})
	}
	bad := func(name string, want []string, mods ...mod) { add(name, "", want, mods...) }
	ok := func(name string, mods ...mod) { add(name, "", nil, mods...) }
	okUpstream := func(name, code string, mods ...mod) { add(name, code, nil, mods...) }
	desc := func(d string) mod { return func(r *devenvv1.CreateInstanceRequest) { r.Description = proto.String(d) } }
	nameIs := func(s string) mod { return func(r *devenvv1.CreateInstanceRequest) { r.Name = s } }
	path := func(p string) mod {
		return func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = obsStorage(p) }
	}
	autoStop := func(as *devenvv1.AutoStop) mod {
		return func(r *devenvv1.CreateInstanceRequest) { r.Spec.AutoStop = as }
	}
	duration := func(enable bool, d int32) mod {
		return autoStop(&devenvv1.AutoStop{Enable: proto.Bool(enable), Duration: proto.Int32(d)})
	}
	extend := func(st ...*devenvv1.Storage) mod {
		return func(r *devenvv1.CreateInstanceRequest) { r.Spec.ExtendStorage = st }
	}
	annotate := func(m map[string]string) mod {
		return func(r *devenvv1.CreateInstanceRequest) { r.Spec.Annotations = m }
	}
	const (
		fPath     = "spec.storage.location.path"
		fType     = "spec.storage.type"
		fDuration = "spec.auto_stop.duration"
	)

	// The base request, and with every optional part.
	ok("base")
	ok("minimal", func(r *devenvv1.CreateInstanceRequest) {
		r.Description, r.Spec.AutoStop, r.Workspace = nil, nil, nil
	})
	ok("everything", func(r *devenvv1.CreateInstanceRequest) {
		r.Spec.ExtendStorage = []*devenvv1.Storage{storage("obsfs", "/fs-bucket/data/")}
		r.Spec.Annotations = map[string]string{"team": "vision"}
		r.Pool = &devenvv1.Pool{Id: proto.String("pool-1.a_B"), Name: proto.String("p"), Type: proto.String("USER_DEFINED")}
		r.AiProject = &devenvv1.AIProject{Id: proto.String("default-ai-project")}
		r.Workspace = &devenvv1.Workspace{Id: proto.String("ws_1-a.b")}
	})
	bad("everything_missing", []string{required("project_id"), required("name"), required("profile_id"), required("flavor"), required("spec.storage")},
		func(r *devenvv1.CreateInstanceRequest) { *r = devenvv1.CreateInstanceRequest{} })

	// project_id.
	bad("project_empty", []string{required("project_id")}, func(r *devenvv1.CreateInstanceRequest) { r.ProjectId = "" })
	for _, p := range badProject {
		bad("project_"+p.name, []string{malformed("project_id")}, func(r *devenvv1.CreateInstanceRequest) { r.ProjectId = p.id })
	}

	// name: 1 to 64 of A-Z a-z 0-9 - _.
	bad("name_empty", []string{required("name")}, nameIs(""))
	bad("name_65", []string{malformed("name")}, nameIs(name64+"n"))
	for _, s := range []string{"a b", "a.b", "a/b", "a\nb", "é", "名前", "a\x00", "a+b", "a'b", notUTF8} {
		bad(fmt.Sprintf("name_%q", s), []string{malformed("name")}, nameIs(s))
	}
	ok("name_64", nameIs(name64))
	ok("name_1", nameIs("x"))
	ok("name_all_classes", nameIs("AZaz09-_"))

	// description: at most 512 characters (not bytes), none of & < > " ' /,
	// no control characters.
	ok("description_absent", func(r *devenvv1.CreateInstanceRequest) { r.Description = nil })
	ok("description_empty", desc(""))
	ok("description_512_ascii", desc(strings.Repeat("d", 512)))
	ok("description_512_two_byte", desc(strings.Repeat("é", 512)))  // 1024 bytes
	ok("description_512_four_byte", desc(strings.Repeat("😀", 512))) // 2048 bytes
	ok("description_punctuation", desc(`Für Tests – 100%, (a+b)=c; [x] {y} #z @w ~ `+"`q`"+` ^ | \ ! ? * , . : 名前`))
	bad("description_513_ascii", []string{malformed("description")}, desc(strings.Repeat("d", 513)))
	bad("description_513_two_byte", []string{malformed("description")}, desc(strings.Repeat("é", 513)))
	bad("description_513_four_byte", []string{malformed("description")}, desc(strings.Repeat("😀", 513)))
	for _, c := range `&<>"'/` {
		bad(fmt.Sprintf("description_%c", c), []string{malformed("description")}, desc("a "+string(c)+" b"))
	}
	for _, s := range []string{"a\nb", "a\tb", "a\rb", "a\x00b", "a\x1bb", "a\x7fb", "a\u0085b", "a\u009fb", notUTF8,
		// Format characters: bidirectional controls, zero-width, BOM, soft
		// hyphen; line and paragraph separators; noncharacters.
		"evil\u202egnp.exe", "a\u202ab", "a\u2066b\u2069", "a\u200eb", "a\u200bb", "a\u200cb", "a\u200db", "a\u2060b", "\ufeffa",
		"a\u00adb", "a\u2028b", "a\u2029b", "a\ufdd0b", "a\uffffb", "a\U0001fffeb", "a\U000e0001b"} {
		bad(fmt.Sprintf("description_%q", s), []string{malformed("description")}, desc(s))
	}
	// Marks, other spaces, private use and emoji presentation stay.
	ok("description_text", desc("Cafe\u0301 \u00a0\u3000 \u2764\ufe0f \ue000 \u00e9\u0308 \u0645\u0631\u062d\u0628\u0627"))

	// profile_id: required, 1 to 128 printable characters (not bytes).
	bad("profile_empty", []string{required("profile_id")}, func(r *devenvv1.CreateInstanceRequest) { r.ProfileId = "" })
	bad("profile_129", []string{malformed("profile_id")}, func(r *devenvv1.CreateInstanceRequest) { r.ProfileId = strings.Repeat("p", 129) })
	for _, s := range []string{"a\tb", "a\nb", "a\x00", "a\u200bb", "a\x7f", notUTF8} {
		bad(fmt.Sprintf("profile_%q", s), []string{malformed("profile_id")}, func(r *devenvv1.CreateInstanceRequest) { r.ProfileId = s })
	}
	ok("profile_128", func(r *devenvv1.CreateInstanceRequest) { r.ProfileId = strings.Repeat("p", 128) })
	ok("profile_128_two_byte", func(r *devenvv1.CreateInstanceRequest) { r.ProfileId = strings.Repeat("é", 128) })   // 256 bytes
	ok("profile_128_three_byte", func(r *devenvv1.CreateInstanceRequest) { r.ProfileId = strings.Repeat("名", 128) }) // 384 bytes
	bad("profile_129_two_byte", []string{malformed("profile_id")}, func(r *devenvv1.CreateInstanceRequest) { r.ProfileId = strings.Repeat("é", 129) })
	ok("profile_1", func(r *devenvv1.CreateInstanceRequest) { r.ProfileId = "p" })
	ok("profile_spaces_and_parens", func(r *devenvv1.CreateInstanceRequest) { r.ProfileId = "Multi-Engine 2.0 (python3)" })

	// flavor: required, 1 to 128 of A-Z a-z 0-9 . - _.
	bad("flavor_empty", []string{required("flavor")}, func(r *devenvv1.CreateInstanceRequest) { r.Flavor = "" })
	bad("flavor_129", []string{malformed("flavor")}, func(r *devenvv1.CreateInstanceRequest) { r.Flavor = strings.Repeat("f", 129) })
	for _, s := range []string{"modelarts vm", "a/b", "a:b", "é", "a\n", "..", ".", "-f", ".modelarts"} {
		bad(fmt.Sprintf("flavor_%q", s), []string{malformed("flavor")}, func(r *devenvv1.CreateInstanceRequest) { r.Flavor = s })
	}
	ok("flavor_other", func(r *devenvv1.CreateInstanceRequest) { r.Flavor = "modelarts.vm.cpu.8u" })
	okUpstream("flavor_128", "ModelArts.6323", func(r *devenvv1.CreateInstanceRequest) { r.Flavor = strings.Repeat("f", 128) })
	okUpstream("flavor_1", "ModelArts.6323", func(r *devenvv1.CreateInstanceRequest) { r.Flavor = "f" })

	// spec.storage: required; type one of obs, evs, efs, obsfs.
	bad("spec_absent", []string{required("spec.storage")}, func(r *devenvv1.CreateInstanceRequest) { r.Spec = nil })
	bad("storage_absent", []string{required("spec.storage")}, func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = nil })
	bad("storage_type_absent", []string{required(fType)}, func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = storage("", "/bucket/dir/") })
	for _, s := range []string{"OBS", "s3", "nfs", "obs "} {
		bad("storage_type_"+s, []string{malformed(fType)}, func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = storage(s, "/bucket/dir/") })
	}
	for _, s := range []string{"evs", "efs"} {
		okUpstream("storage_type_"+s, "ModelArts.6324", func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = storage(s, "/home/ma-user/work") })
	}
	okUpstream("storage_type_obsfs", "ModelArts.6324", func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = storage("obsfs", "/fs-bucket/data/") })
	okUpstream("storage_evs_without_path", "ModelArts.6324", func(r *devenvv1.CreateInstanceRequest) {
		r.Spec.Storage = &devenvv1.Storage{Type: proto.String("evs")}
	})
	bad("storage_evs_path_1025", []string{malformed(fPath)}, func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = storage("evs", path1025) })

	// evs and efs paths: a mount point, an absolute path of POSIX portable
	// names (A-Z a-z 0-9 . _ -), none "." or "..", none starting with "-".
	for _, typ := range []string{"evs", "efs"} {
		for _, p := range []string{"/home/ma-user/work", "/home/ma-user/work/", "/data", "/a.b/c_d/E-9", "/.cache"} {
			okUpstream(fmt.Sprintf("path_%s_%q", typ, p), "ModelArts.6324", func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = storage(typ, p) })
		}
		for _, p := range []string{
			"/../../etc/", "/home/../etc", "/home/./x", "/..", // climbing
			"home/ma-user", "./work", "/", "//x", "/home//x", "/home/x//", // not absolute, empty segments
			"/home/-rf", "/home/a b", "/home/é", "/home/a\x00", "/home/a%2e%2e", "/home/a\\b", "/home/a?b", "/home/a#b", "/home/a:b",
			"/home/\uff0e\uff0e", "/home/a\u202eb", "/home/a\u200bb",
		} {
			bad(fmt.Sprintf("path_%s_%q", typ, p), []string{malformed(fPath)}, func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = storage(typ, p) })
		}
	}

	// obsfs paths: a directory of an OBS parallel file system, "/fs/" or
	// "/fs/dir/", with the rules of OBS paths.
	for _, p := range []string{"/fs-bucket/", "/fs-bucket/data/", "/fs.bucket-1/a b/c/"} {
		okUpstream(fmt.Sprintf("path_obsfs_%q", p), "ModelArts.6324", func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = storage("obsfs", p) })
	}
	for _, p := range []string{"/../../etc/", "/fs-bucket/../x/", "/fs/x/", "/fs-bucket", "fs-bucket/", "/FS-bucket/d/", "/fs-bucket/%2e%2e/", "/fs-bucket/\uff0e\uff0e/"} {
		bad(fmt.Sprintf("path_obsfs_%q", p), []string{malformed(fPath)}, func(r *devenvv1.CreateInstanceRequest) { r.Spec.Storage = storage("obsfs", p) })
	}

	// location.volume_size and volume_unit, when set.
	volume := func(size *int32, unit *string) mod {
		return func(r *devenvv1.CreateInstanceRequest) {
			r.Spec.Storage = &devenvv1.Storage{Type: proto.String("evs"), Location: &devenvv1.StorageLocation{VolumeSize: size, VolumeUnit: unit}}
		}
	}
	okUpstream("volume_5_GB", "ModelArts.6324", volume(proto.Int32(5), proto.String("GB")))
	okUpstream("volume_0", "ModelArts.6324", volume(proto.Int32(0), nil))
	bad("volume_negative", []string{malformed("spec.storage.location.volume_size")}, volume(proto.Int32(-1), nil))
	for _, u := range []string{"", "G B", "GB\n", "Gigabytes-16chars", "GB/s"} {
		bad(fmt.Sprintf("volume_unit_%q", u), []string{malformed("spec.storage.location.volume_unit")}, volume(nil, proto.String(u)))
	}

	// spec.storage.location.path for OBS: required, "/bucket/dir/": starts
	// and ends with "/", not a bucket root, no empty, "." or ".." segments, at
	// most 1024 bytes.
	bad("path_location_absent", []string{required(fPath)}, func(r *devenvv1.CreateInstanceRequest) {
		r.Spec.Storage = &devenvv1.Storage{Type: proto.String("obs")}
	})
	bad("path_empty", []string{required(fPath)}, path(""))
	for _, p := range []string{
		"bucket/dir/", "obs://bucket/dir/", "/bucket/dir", "/bucket/dir/file.txt", // start and end
		"/bucket/", "/", "//", "/b/", // bucket roots
		"/bucket//dir/", "//dir/", "/bucket/dir//", // empty segments
		"/bucket/../dir/", "/bucket/dir/../", "/../dir/", "/bucket/dir/../../", // ".." segments
		"/bucket/./", "/./dir/", "/bucket/./dir/", "/bucket/dir/./", // "." segments ("/bucket/./" is the root)
		"/bucket/a\nb/", "/bucket/\x00/", "/bucket/" + notUTF8 + "/", // not printable
		// What OBS says to avoid, and what changes a URL: percent-escapes,
		// backslashes, queries, fragments.
		"/bucket/%2e%2e/", "/bucket/%2E%2E/dir/", "/bucket/a%2Fb/", "/bucket/a\\b/", "/bucket/..\\..\\/", "/bucket/dir?x=1/",
		"/bucket/dir#x/", "/bucket/a{b}/", "/bucket/a^b/", "/bucket/a`b/", "/bucket/a[b]/", "/bucket/a\"b/", "/bucket/a<b>/",
		"/bucket/a~b/", "/bucket/a|b/",
		// Look-alikes of ".", "/" and "\" (refused after NFKC), invisible
		// characters.
		"/bucket/\uff0e\uff0e/", "/bucket/\uff0e/", "/bucket/\u2025/", "/bucket/\u2024\u2024/", "/bucket/a\uff0fb/", "/bucket/a\uff3cb/",
		"/bucket/\ufe52\ufe52/", "/bucket/a\u202eb/", "/bucket/a\u200bb/", "/bucket/\ufeffdir/", "/bucket/a\u2028b/", "/bucket/a\tb/",
		// Bucket names OBS does not allow.
		"/Bucket/dir/", "/ab/dir/", "/" + strings.Repeat("b", 64) + "/dir/", "/-bucket/dir/", "/bucket-/dir/", "/bucket./dir/",
		"/my..bucket/dir/", "/my-.bucket/dir/", "/my.-bucket/dir/", "/192.168.0.1/dir/", "/my_bucket/dir/", "/bücket/dir/",
		"/\uff42ucket/dir/",
	} {
		bad(fmt.Sprintf("path_%q", p), []string{malformed(fPath)}, path(p))
	}
	bad("path_1025", []string{malformed(fPath)}, path(path1025))
	ok("path_1024", path(path1024))
	ok("path_deeper", path("/bucket/dir/sub/"))
	ok("path_dots_in_names", path("/bucket.v2/..dir/dir../a.b/"))
	ok("path_one_character_directory", path("/bkt/d/"))
	ok("path_unicode_and_safe_punctuation", path("/bucket/Daten für Tests/名前/a!*'()@=+,;:$&/"))
	ok("path_bucket_63_digits_first", path("/0"+strings.Repeat("b", 62)+"/dir/"))

	// spec.extend_storage: each entry as spec.storage.
	ok("extend_obsfs", extend(storage("obsfs", "/fs-bucket/data/")))
	ok("extend_obs", extend(obsStorage("/bucket/more/")))
	bad("extend_type_absent", []string{required("spec.extend_storage[0].type")}, extend(&devenvv1.Storage{}))
	bad("extend_second_type_bad", []string{malformed("spec.extend_storage[1].type")},
		extend(storage("obsfs", "/fs-bucket/data/"), storage("nfs", "/x/")))
	bad("extend_obs_root", []string{malformed("spec.extend_storage[0].location.path")}, extend(obsStorage("/bucket/")))
	bad("extend_obs_path_absent", []string{required("spec.extend_storage[0].location.path")},
		extend(&devenvv1.Storage{Type: proto.String("obs")}))
	bad("extend_two_bad", []string{malformed("spec.extend_storage[0].location.path"), malformed("spec.extend_storage[2].type")},
		extend(obsStorage("/bucket"), obsStorage("/bucket/ok/"), storage("OBS", "/bucket/dir/")))
	bad("extend_obsfs_climbing", []string{malformed("spec.extend_storage[0].location.path")}, extend(storage("obsfs", "/../../etc/")))
	// At most 16 entries.
	sixteen := make([]*devenvv1.Storage, 16)
	for i := range sixteen {
		sixteen[i] = storage("obsfs", fmt.Sprintf("/fs-bucket/d%d/", i))
	}
	ok("extend_16", extend(sixteen...))
	bad("extend_17", []string{malformed("spec.extend_storage")}, extend(append(sixteen, storage("obsfs", "/fs-bucket/x/"))...))

	// spec.auto_stop: duration 3600 to 86400, required when enabled.
	ok("auto_stop_3600", duration(true, 3600))
	ok("auto_stop_86400", duration(true, 86400))
	ok("auto_stop_disabled_without_duration", autoStop(&devenvv1.AutoStop{Enable: proto.Bool(false)}))
	ok("auto_stop_disabled_in_range", duration(false, 7200))
	ok("auto_stop_empty", autoStop(&devenvv1.AutoStop{}))
	ok("auto_stop_prompt_only", autoStop(&devenvv1.AutoStop{Prompt: proto.Bool(false)}))
	bad("auto_stop_3599", []string{malformed(fDuration)}, duration(true, 3599))
	bad("auto_stop_86401", []string{malformed(fDuration)}, duration(true, 86401))
	bad("auto_stop_zero", []string{malformed(fDuration)}, duration(true, 0))
	bad("auto_stop_negative", []string{malformed(fDuration)}, duration(true, -3600))
	bad("auto_stop_disabled_out_of_range", []string{malformed(fDuration)}, duration(false, 60))
	bad("auto_stop_enabled_without_duration", []string{required(fDuration)}, autoStop(&devenvv1.AutoStop{Enable: proto.Bool(true)}))
	bad("auto_stop_stop_timestamp", []string{malformed("spec.auto_stop")},
		autoStop(&devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(3600), StopTimestamp: proto.Int64(1594891408723)}))
	bad("auto_stop_remain_time", []string{malformed("spec.auto_stop")},
		autoStop(&devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(3600), RemainTime: proto.Int32(3336)}))

	// spec.annotations: at most 64, keys 1 to 128 bytes, values at most 1024.
	ok("annotations_64", annotate(annotations(64, 8, 8)))
	ok("annotations_key_128_value_1024", annotate(annotations(1, 128, 1024)))
	ok("annotations_empty_value", annotate(map[string]string{"k": ""}))
	bad("annotations_65", []string{malformed("spec.annotations")}, annotate(annotations(65, 8, 8)))
	bad("annotations_key_empty", []string{malformed("spec.annotations")}, annotate(map[string]string{"": "v"}))
	bad("annotations_key_129", []string{malformed("spec.annotations")}, annotate(annotations(1, 129, 1)))
	bad("annotations_value_1025", []string{malformed("spec.annotations")}, annotate(annotations(1, 8, 1025)))
	bad("annotations_key_not_utf8", []string{malformed("spec.annotations")}, annotate(map[string]string{notUTF8: "v"}))
	// Keys: A-Z a-z 0-9 . - _ /, starting with a letter or digit. Values:
	// text without control, format or separator characters.
	for _, k := range []string{"app.kubernetes.io/name", "team", "a_b-c.d/e", "0"} {
		ok(fmt.Sprintf("annotations_key_%q", k), annotate(map[string]string{k: "v"}))
	}
	for _, k := range []string{"a b", "-x", ".x", "/x", "_x", "k\n", "ké", "k\u202e", "k:v", "k=v", "k\x1b"} {
		bad(fmt.Sprintf("annotations_key_%q", k), []string{malformed("spec.annotations")}, annotate(map[string]string{k: "v"}))
	}
	for _, v := range []string{"https://x.example/z?a=b&c=d", "名前", "a b\u00a0c", "it's <b>", ""} {
		ok(fmt.Sprintf("annotations_value_%q", v), annotate(map[string]string{"k": v}))
	}
	for _, v := range []string{"a\nb", "a\tb", "\x1b[31mred", "a\u202eb", "a\u200bb", "\ufeff", "a\u2028b", "a\u2029b", "a\x7f"} {
		bad(fmt.Sprintf("annotations_value_%q", v), []string{malformed("spec.annotations")}, annotate(map[string]string{"k": v}))
	}

	// workspace.id, pool.id (required when pool is set), ai_project.id:
	// 1 to 64 of A-Z a-z 0-9 . - _.
	for _, id := range []string{"a/b", "a b", "a&b", "é", id65, ".", "..", "-", "-a", ".hidden", "_a", "a\u202e"} {
		bad(fmt.Sprintf("workspace_%q", id), []string{malformed("workspace.id")}, func(r *devenvv1.CreateInstanceRequest) {
			r.Workspace = &devenvv1.Workspace{Id: proto.String(id)}
		})
		bad(fmt.Sprintf("pool_%q", id), []string{malformed("pool.id")}, func(r *devenvv1.CreateInstanceRequest) {
			r.Pool = &devenvv1.Pool{Id: proto.String(id)}
		})
		bad(fmt.Sprintf("ai_project_%q", id), []string{malformed("ai_project.id")}, func(r *devenvv1.CreateInstanceRequest) {
			r.AiProject = &devenvv1.AIProject{Id: proto.String(id)}
		})
	}
	ok("workspace_64", func(r *devenvv1.CreateInstanceRequest) { r.Workspace = &devenvv1.Workspace{Id: proto.String(id64)} })
	ok("workspace_without_id", func(r *devenvv1.CreateInstanceRequest) { r.Workspace = &devenvv1.Workspace{} })
	ok("pool_64", func(r *devenvv1.CreateInstanceRequest) { r.Pool = &devenvv1.Pool{Id: proto.String(id64)} })
	ok("ai_project_64", func(r *devenvv1.CreateInstanceRequest) { r.AiProject = &devenvv1.AIProject{Id: proto.String(id64)} })
	ok("ai_project_without_id", func(r *devenvv1.CreateInstanceRequest) { r.AiProject = &devenvv1.AIProject{} })
	bad("pool_without_id", []string{required("pool.id")}, func(r *devenvv1.CreateInstanceRequest) { r.Pool = &devenvv1.Pool{Name: proto.String("p")} })
	bad("pool_empty_id", []string{required("pool.id")}, func(r *devenvv1.CreateInstanceRequest) { r.Pool = &devenvv1.Pool{Id: proto.String("")} })
	// The pool's other fields reach ModelArts too: name and type are IDs,
	// owner.project_id a project ID.
	ok("pool_all_fields", func(r *devenvv1.CreateInstanceRequest) {
		r.Pool = &devenvv1.Pool{Id: proto.String("pool-1"), Name: proto.String("pool-name_1"), Type: proto.String("USER_DEFINED"),
			Owner: &devenvv1.PoolOwner{ProjectId: proto.String(hex32)}}
	})
	bad("pool_name_bad", []string{malformed("pool.name")}, func(r *devenvv1.CreateInstanceRequest) {
		r.Pool = &devenvv1.Pool{Id: proto.String("p"), Name: proto.String("../x")}
	})
	bad("pool_type_bad", []string{malformed("pool.type")}, func(r *devenvv1.CreateInstanceRequest) {
		r.Pool = &devenvv1.Pool{Id: proto.String("p"), Type: proto.String("USER DEFINED")}
	})
	bad("pool_owner_bad", []string{malformed("pool.owner.project_id")}, func(r *devenvv1.CreateInstanceRequest) {
		r.Pool = &devenvv1.Pool{Id: proto.String("p"), Owner: &devenvv1.PoolOwner{ProjectId: proto.String("../" + hex32)}}
	})

	// Several bad fields, one violation each.
	bad("two_bad", []string{malformed(fPath), malformed(fDuration)}, path("/bucket/"), duration(true, 86401))
	bad("name_and_description", []string{malformed("name"), malformed("description")}, nameIs("a b"), desc("<b>"))
	bad("five_bad", []string{malformed("project_id"), required("name"), malformed("flavor"), required(fType), malformed("workspace.id")},
		func(r *devenvv1.CreateInstanceRequest) {
			r.ProjectId, r.Name, r.Flavor = "x", "", "a b"
			r.Spec.Storage, r.Workspace = storage("", "/bucket/dir/"), &devenvv1.Workspace{Id: proto.String("a/b")}
		})
	// wait does not change the checks: nothing is sent, nothing awaited.
	bad("bad_with_wait", []string{malformed("name")}, nameIs("a b"), func(r *devenvv1.CreateInstanceRequest) { r.Wait = true })

	runValCases(t, f, f.client.CreateInstance, f.svc.CreateInstance, cases)
}
