/* stack/stack_*.c without privileges: the record, hosts and resolv.conf files, bundles, port texts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "jsonutil.h"
#include "runtime/spec.h"
#include "stack/stack_int.h"

static char root[64];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/berth-stack-test.XXXXXX");
	cr_assert(mkdtemp(root));
}

static void teardown(void)
{
	bfile_rm_rf(root, NULL);
}

TestSuite(stack, .init = setup, .fini = teardown);

static json_t *j(const char *text)
{
	json_t *v = NULL;
	struct berr e = BERR_INIT;

	cr_assert_eq(bjson_parse(text, strlen(text), &v, &e), 0, "%s", e.msg);
	return v;
}

/* db on back; api on front (alias backend) and back; edge on front; late not attached yet. */
#define RECORD                                                                                                         \
	"{\"version\":1,\"name\":\"shop\",\"networks\":[],\"containers\":["                                            \
	"{\"name\":\"db\",\"id\":\"shop-db\",\"hostname\":\"db\",\"networks\":[{\"network\":\"back\",\"ifname\":"      \
	"\"eth0\","                                                                                                    \
	"\"aliases\":[\"database\"],\"ip\":\"10.90.1.2\",\"prefix\":24}]},"                                            \
	"{\"name\":\"api\",\"id\":\"shop-api\",\"hostname\":\"apihost\",\"networks\":[{\"network\":\"front\","         \
	"\"ifname\":\"eth0\",\"aliases\":[\"backend\"],\"ip\":\"10.90.0.2\",\"prefix\":24},{\"network\":\"back\","     \
	"\"ifname\":\"eth1\",\"aliases\":[],\"ip\":\"10.90.1.3\",\"prefix\":24}]},"                                    \
	"{\"name\":\"edge\",\"id\":\"shop-edge\",\"hostname\":\"edge\",\"networks\":[{\"network\":\"front\","          \
	"\"ifname\":\"eth0\",\"aliases\":[],\"ip\":\"10.90.0.100\",\"prefix\":24}]},"                                  \
	"{\"name\":\"late\",\"id\":\"shop-late\",\"hostname\":\"late\",\"networks\":[{\"network\":\"front\","          \
	"\"ifname\":\"eth0\",\"aliases\":[]}]}]}"

static char *hosts_of(struct stack_run *s, const char *name)
{
	char *text = NULL;
	struct berr e = BERR_INIT;

	cr_assert_eq(stk_hosts_text(s, stack_run_rec_find(s, "containers", name), &text, &e), 0, "%s", e.msg);
	return text;
}

Test(stack, hosts_list_only_shared_networks)
{
	struct stack_run s = {.name = "shop", .rec = j(RECORD)};
	char *db = hosts_of(&s, "db"), *api = hosts_of(&s, "api"), *edge = hosts_of(&s, "edge");

	cr_assert(strstr(db, "127.0.0.1\tlocalhost\n"), "%s", db);
	cr_assert(strstr(db, "10.90.1.2\tdb database\n"), "%s", db);
	cr_assert(strstr(db, "10.90.1.3\tapi\n"), "api by its back address, without its front alias: %s", db);
	cr_assert_null(strstr(db, "edge"), "%s", db);
	cr_assert_null(strstr(db, "backend"), "%s", db);
	cr_assert(strstr(api, "10.90.0.2\tapi apihost backend\n"), "its own names: %s", api);
	cr_assert(strstr(api, "10.90.0.100\tedge\n"), "%s", api);
	cr_assert(strstr(api, "10.90.1.2\tdb database\n"), "%s", api);
	cr_assert(strstr(edge, "10.90.0.2\tapi backend\n"), "%s", edge);
	cr_assert_null(strstr(edge, "database"), "%s", edge);
	cr_assert_null(strstr(edge, "late"), "not attached yet: %s", edge);
	free(db);
	free(api);
	free(edge);
	json_decref(s.rec);
}

Test(stack, dns_networks_leave_names_to_netd)
{
	struct stack_run s = {.name = "shop", .rec = j(RECORD)};
	json_t *front = json_pack("{s:s,s:b,s:{s:[s],s:[s]}}", "name", "front", "created", 1, "dns", "nameservers",
				  "10.90.0.1", "search", "front");
	char *api, *edge, *conf = NULL;
	struct berr e = BERR_INIT;

	json_array_append_new(json_object_get(s.rec, "networks"), front);
	api = hosts_of(&s, "api");
	edge = hosts_of(&s, "edge");
	cr_assert(strstr(api, "10.90.0.2\tapi apihost backend\n"), "its own names stay: %s", api);
	cr_assert_null(strstr(api, "edge"), "front has netd's DNS: %s", api);
	cr_assert(strstr(api, "10.90.1.2\tdb database\n"), "back has none: its hosts lines stay: %s", api);
	cr_assert_null(strstr(edge, "api"), "%s", edge);
	cr_assert_eq(stk_resolv_text_ctr(&s, stack_run_rec_find(&s, "containers", "edge"), &conf, &e), 0, "%s", e.msg);
	cr_assert(strstr(conf, "nameserver 10.90.0.1\nsearch front\noptions ndots:0\n"), "%s", conf);
	free(conf);
	conf = NULL;
	cr_assert_eq(stk_resolv_text_ctr(&s, stack_run_rec_find(&s, "containers", "db"), &conf, &e), 0, "%s", e.msg);
	cr_assert_null(strstr(conf, "10.90.0.1"), "db is not on front: %s", conf);
	free(conf);
	free(api);
	free(edge);
	json_decref(s.rec);
}

static char *resolv_from(const char *content)
{
	char path[128], *text = NULL;
	struct berr e = BERR_INIT;

	snprintf(path, sizeof(path), "%s/resolv.conf", root);
	cr_assert_eq(bfile_write_atomic(path, content, strlen(content), 0644, 0, &e), 0, "%s", e.msg);
	setenv(STACK_ENV_RESOLV_CONF, path, 1);
	cr_assert_eq(stk_resolv_text(&text, &e), 0, "%s", e.msg);
	unsetenv(STACK_ENV_RESOLV_CONF);
	return text;
}

Test(stack, resolv_conf_without_loopback_servers)
{
	char *t = resolv_from("# comment\nnameserver 127.0.0.53\nnameserver 192.168.1.1\nnameserver ::1\n"
			      "search example.org\noptions edns0 trust-ad\n");

	cr_assert(strstr(t, "nameserver 192.168.1.1\n"), "%s", t);
	cr_assert_null(strstr(t, "127.0.0.53"), "%s", t);
	cr_assert_null(strstr(t, "::1"), "%s", t);
	cr_assert(strstr(t, "search example.org\n"), "%s", t);
	cr_assert(strstr(t, "options edns0 trust-ad\n"), "%s", t);
	free(t);
	t = resolv_from("nameserver 127.0.0.53\nsearch lan\n");
	cr_assert_null(strstr(t, "nameserver "), "loopback only: none: %s", t);
	cr_assert(strstr(t, "loopback"), "and it says why: %s", t);
	free(t);
}

Test(stack, write_in_place_keeps_the_inode)
{
	char path[128];
	struct stat a, b;
	struct berr e = BERR_INIT;
	_cleanup_free_ char *back = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/hosts", root);
	cr_assert_eq(stk_write_in_place(path, "a long first version of the file\n", 0644, &e), 0, "%s", e.msg);
	cr_assert_eq(stat(path, &a), 0);
	cr_assert_eq(stk_write_in_place(path, "short\n", 0644, &e), 0, "%s", e.msg);
	cr_assert_eq(stat(path, &b), 0);
	cr_assert_eq(a.st_ino, b.st_ino, "a bind mount pins the inode: no rename");
	cr_assert_eq(bfile_read_all(path, 4096, &back, &len, &e), 0);
	cr_assert_str_eq(back, "short\n");
}

Test(stack, port_texts)
{
	char buf[80];

	cr_assert_str_eq(stk_port_text("8080:80/tcp", buf, sizeof(buf)), "8080->80/tcp");
	cr_assert_str_eq(stk_port_text("127.0.0.1:5353:53/udp", buf, sizeof(buf)), "127.0.0.1:5353->53/udp");
	cr_assert_str_eq(stk_port_text("9000-9001:9000-9001/tcp", buf, sizeof(buf)), "9000-9001->9000-9001/tcp");
}

Test(stack, bundle_is_an_application_container)
{
	static const char fmt[] =
		"{\"name\":\"shop\",\"networks\":[{\"name\":\"front\",\"subnet\":\"10.90.0.0/24\"},{\"name\":\"back\","
		"\"subnet\":\"10.90.1.0/24\",\"internal\":true}],\"containers\":[{\"name\":\"api\",\"rootfs\":\"%s\","
		"\"command\":[\"httpd\",\"-f\"],\"env\":{\"PATH\":\"/opt/"
		"bin\",\"A\":\"1\"},\"user\":\"1000\",\"working_dir\":"
		"\"/srv\",\"networks\":[\"front\",{\"name\":\"back\",\"ip\":\"10.90.1.9\"}],\"ports\":[\"8081:80\"],"
		"\"memory\":\"32m\",\"cpus\":0.25,\"pids\":16}]}";
	char file[1024];
	_cleanup_json_ json_t *doc = NULL, *cfg = NULL;
	struct stack *st = NULL;
	struct stack_run s = {.name = "shop", .dir = root};
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT;
	char *text = NULL, *again = NULL;

	snprintf(file, sizeof(file), fmt, root);
	doc = j(file);
	cr_assert_eq(stack_parse(doc, "x", "/", &st, &e), 0, "%s", e.msg);
	cr_assert_eq(stk_bundle_text(&s, st, &st->containers[0], "/berth/stacks", &text, &e), 0, "%s", e.msg);
	cr_assert_eq(stk_bundle_text(&s, st, &st->containers[0], "/berth/stacks", &again, &e), 0, "%s", e.msg);
	cr_assert_str_eq(text, again, "the same definition gives the same text");
	cfg = j(text);
	/* the runtime takes it as it is */
	cr_assert_eq(rt_spec_from_json(cfg, root, &spec, &e), 0, "%s", e.msg);
	cr_assert_eq(spec->n_nets, 2);
	cr_assert_str_eq(spec->nets[1].ifname, "eth1");
	cr_assert_eq(spec->ns_new,
		     CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP);
	cr_assert(spec->root_readonly);
	cr_assert_eq(spec->resources.pids_limit, 16);
	rt_spec_free(spec);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(cfg, "root"), "path")), root);
	cr_assert(json_is_true(json_object_get(json_object_get(cfg, "root"), "readonly")));
	cr_assert_str_eq(json_string_value(json_object_get(cfg, "hostname")), "api");
	cr_assert(strstr(text, "\"cgroupsPath\": \"/berth/stacks/shop/api\""), "%s", text);
	cr_assert(strstr(text, "\"limit\": 33554432"), "%s", text);
	cr_assert(strstr(text, "\"quota\": 25000"), "%s", text);
	cr_assert(strstr(text, "\"uid\": 1000"), "%s", text);
	cr_assert(strstr(text, "\"gid\": 1000"), "%s", text);
	cr_assert(strstr(text, "\"cwd\": \"/srv\""), "%s", text);
	cr_assert(strstr(text, "\"PATH=/opt/bin\""), "%s", text);
	cr_assert_null(strstr(text, "PATH=/usr/local/sbin"), "the file's PATH replaces the default: %s", text);
	cr_assert(strstr(text, "\"HOSTNAME=api\""), "%s", text);
	cr_assert(strstr(text, "\"CAP_NET_BIND_SERVICE\""), "%s", text);
	cr_assert_null(strstr(text, "CAP_SYS_ADMIN"), "%s", text);
	cr_assert(strstr(text, "\"noNewPrivileges\": true"), "%s", text);
	cr_assert_null(strstr(text, "\"user\"}"), "no user namespace: %s", text);
	cr_assert(strstr(text, "\"destination\": \"/run\""), "%s", text);
	cr_assert(strstr(text, "\"destination\": \"/etc/hosts\""), "%s", text);
	cr_assert(strstr(text, "/containers/api/hosts\""), "%s", text);
	cr_assert(strstr(text, "\"berth.networks\": \"[{\\\"network\\\":\\\"front\\\",\\\"ifname\\\":\\\"eth0\\\","
			       "\\\"ports\\\":[\\\"8081:80/tcp\\\"]},{\\\"network\\\":\\\"back\\\",\\\"ifname\\\":"
			       "\\\"eth1\\\",\\\"ip\\\":\\\"10.90.1.9\\\"}]\""),
		  "%s", text);
	free(text);
	free(again);
	stack_free(st);
}

Test(stack, record_open_save_list_remove)
{
	struct stack_run *s = NULL, *p = NULL;
	struct berr e = BERR_INIT;
	char **names = NULL;
	size_t n = 0;
	char path[160];

	cr_assert_eq(stack_run_open(root, "shop", false, &s, &e), -ENOENT);
	cr_assert(strstr(e.msg, "stack 'shop' is not up"), "%s", e.msg);
	cr_assert_eq(stack_run_open(root, "shop", true, &s, &e), 0, "%s", e.msg);
	cr_assert_eq(
		json_array_append_new(stack_run_rec_array(s, "containers"), j("{\"name\":\"db\",\"id\":\"shop-db\"}")),
		0);
	cr_assert_eq(stack_run_save(s, &e), 0, "%s", e.msg);
	cr_assert_eq(stack_run_peek(root, "shop", &p, &e), 0, "%s", e.msg);
	cr_assert_not_null(stack_run_rec_find(p, "containers", "db"));
	stack_run_close(p);
	cr_assert_eq(stk_list(root, &names, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(names[0], "shop");
	free(names[0]);
	free(names);
	/* a damaged record: the containers' directories still tell down what to remove */
	snprintf(path, sizeof(path), "%s/stacks/shop/containers/web", root);
	cr_assert_eq(bfile_mkdir_p(path, 0700, &e), 0);
	snprintf(path, sizeof(path), "%s/stacks/shop/stack.json", root);
	cr_assert_eq(bfile_write_atomic(path, "{broken", 7, 0600, 0, &e), 0);
	cr_assert_eq(stack_run_peek(root, "shop", &p, &e), 0, "%s", e.msg);
	cr_assert_str_eq(stk_str(stack_run_rec_find(p, "containers", "web"), "id"), "shop-web");
	stack_run_close(p);
	cr_assert_eq(stack_run_remove_dir(s, &e), 0, "%s", e.msg);
	stack_run_close(s);
	snprintf(path, sizeof(path), "%s/stacks/shop", root);
	cr_assert(!bfile_exists(path));
	cr_assert_eq(stack_run_open(root, "../x", true, &s, &e), -EINVAL);
}

Test(stack, name_of_a_broken_file)
{
	char path[160], *name = NULL;
	struct berr e = BERR_INIT;

	snprintf(path, sizeof(path), "%s/mystack.json", root);
	cr_assert_eq(bfile_write_atomic(path, "{\"containers\":", 14, 0644, 0, &e), 0);
	cr_assert_eq(stack_name_of_file(path, &name, &e), 0, "%s", e.msg);
	cr_assert_str_eq(name, "mystack");
	free(name);
	cr_assert_eq(bfile_write_atomic(path, "{\"name\":\"named\",\"bogus\":1}", 26, 0644, 0, &e), 0);
	cr_assert_eq(stack_name_of_file(path, &name, &e), 0, "%s", e.msg);
	cr_assert_str_eq(name, "named");
	free(name);
}
