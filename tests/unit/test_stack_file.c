#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "jsonutil.h"
#include "stack/stack_file.h"

static int parse(const char *text, struct stack **ret, struct berr *e)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = bjson_parse(text, strlen(text), &doc, e);

	if (r < 0)
		return r;
	return stack_parse(doc, "demo", "/stacks", ret, e);
}

#define GOOD                                                                                                           \
	"{\"networks\":[{\"name\":\"front\",\"subnet\":\"10.89.0.0/24\"},"                                             \
	"{\"name\":\"back\",\"subnet\":\"10.89.1.0/24\",\"internal\":true,\"masquerade\":false}],"                     \
	"\"containers\":["                                                                                             \
	"{\"name\":\"client\",\"rootfs\":\"rootfs\",\"command\":\"wget -O - http://web/\",\"networks\":[\"front\"],"   \
	"\"depends_on\":[\"web\"]},"                                                                                   \
	"{\"name\":\"web\",\"rootfs\":\"/srv/rootfs\",\"command\":[\"httpd\",\"-f\"],\"env\":{\"A\":\"1\"},"           \
	"\"networks\":[{\"name\":\"front\",\"ip\":\"10.89.0.10\",\"aliases\":[\"www\"]},\"back\"],"                    \
	"\"ports\":[\"8080:80\",\"127.0.0.1:5353:53/udp\"],\"memory\":\"64m\",\"cpus\":0.5,\"pids\":64}]}"

Test(stack_file, parses_and_orders_by_dependency)
{
	struct stack *s = NULL;
	struct berr e = BERR_INIT;
	const struct stack_container *web;

	cr_assert_eq(parse(GOOD, &s, &e), 0, "%s", e.msg);
	cr_assert_str_eq(s->name, "demo");
	cr_assert_eq(s->n_networks, 2);
	cr_assert(s->networks[0].masquerade);
	cr_assert(s->networks[1].internal);
	cr_assert(!s->networks[1].masquerade);
	cr_assert_eq(s->n_containers, 2);
	cr_assert_str_eq(s->containers[0].name, "web", "dependencies come first");
	cr_assert_str_eq(s->containers[1].name, "client");
	cr_assert_str_eq(s->containers[1].rootfs, "/stacks/rootfs", "relative rootfs resolves against the file");
	cr_assert_eq(s->containers[1].n_command, 3);
	cr_assert_str_eq(s->containers[1].command[0], "/bin/sh");
	web = stack_find_container(s, "web");
	cr_assert_str_eq(web->rootfs, "/srv/rootfs");
	cr_assert_str_eq(web->env[0], "A=1");
	cr_assert_eq(web->networks[0].ip, 0x0a59000a);
	cr_assert_str_eq(web->networks[0].aliases[0], "www");
	cr_assert_eq(web->n_ports, 2);
	cr_assert_eq(web->ports[1].proto, BPROTO_UDP);
	cr_assert_eq(web->memory, 64 * 1024 * 1024);
	cr_assert_eq(web->cpu_quota_us, 50000);
	cr_assert_eq(web->pids, 64);
	cr_assert_str_eq(web->hostname, "web");
	stack_free(s);
}

Test(stack_file, ipv6_subnets_and_ports)
{
	struct stack *s = NULL;
	struct berr e = BERR_INIT;
	char buf[BADDR_CIDR6_STRLEN];

	cr_assert_eq(
		parse("{\"networks\":[{\"name\":\"ds\",\"subnet\":\"10.89.0.0/24\",\"subnet6\":\"fd00:89::/64\"},"
		      "{\"name\":\"v6\",\"subnet6\":\"fd00:90::/64\",\"masquerade6\":false}],"
		      "\"containers\":[{\"name\":\"a\",\"rootfs\":\"/r\",\"command\":\"true\",\"networks\":[\"ds\"],"
		      "\"ports\":[\"[2001:db8::1]:8080:80\",\"127.0.0.1:8080:80\"]},"
		      "{\"name\":\"b\",\"rootfs\":\"/r\",\"command\":\"true\",\"networks\":[\"v6\"],"
		      "\"ports\":[\"[::1]:8081:80\"]}]}",
		      &s, &e),
		0, "%s", e.msg);
	cr_assert_str_eq(baddr_fmt_cidr6(&s->networks[0].subnet6, buf), "fd00:89::/64");
	cr_assert_eq(s->networks[0].masquerade6, -1, "netd's default");
	cr_assert_eq(s->networks[1].subnet.prefix, 0, "IPv6 alone");
	cr_assert_eq(s->networks[1].masquerade6, 0);
	cr_assert(stack_find_container(s, "a")->ports[0].host_v6);
	stack_free(s);
	s = NULL;
	/* one port in IPv6 twice; on every address of both families against one IPv6 address */
	cr_assert_eq(
		parse("{\"networks\":[{\"name\":\"ds\",\"subnet6\":\"fd00:89::/64\"}],"
		      "\"containers\":[{\"name\":\"a\",\"rootfs\":\"/r\",\"command\":\"true\",\"networks\":[\"ds\"],"
		      "\"ports\":[\"8080:80\",\"[::1]:8080:81\"]}]}",
		      &s, &e),
		-EINVAL);
	cr_assert(strstr(e.msg, "published by both"), "%s", e.msg);
	cr_assert_eq(parse("{\"networks\":[{\"name\":\"ds\",\"subnet6\":\"fd00:89::/8\"}],\"containers\":[]}", &s, &e),
		     -EINVAL);
	cr_assert(strstr(e.msg, "subnet6"), "%s", e.msg);
	cr_assert_eq(parse("{\"networks\":[{\"name\":\"ds\",\"subnet6\":\"fd00:89::/64\",\"gateway\":\"10.0.0.1\"}],"
			   "\"containers\":[]}",
			   &s, &e),
		     -EINVAL);
	cr_assert(strstr(e.msg, "no IPv4 subnet"), "%s", e.msg);
}

struct bad_case {
	const char *text;
	const char *msg;
};

Test(stack_file, refuses_bad_files_naming_the_key)
{
	static const struct bad_case cases[] = {
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\",\"netwrks\":[]}]}",
		 "unknown key 'containers[0].netwrks'"},
		{"{\"bogus\":1,\"containers\":[]}", "unknown key 'bogus'"},
		{"{\"containers\":[]}", "at least one container"},
		{"{\"containers\":[{\"name\":\"a\",\"command\":\"x\"}]}",
		 "missing required key 'containers[0].rootfs'"},
		{"{\"containers\":[{\"name\":\"a/b\",\"rootfs\":\"r\",\"command\":\"x\"}]}",
		 "not a valid container name"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":[]}]}",
		 "'containers[0].command' is empty"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\",\"memory\":\"lots\"}]}",
		 "'containers[0].memory' must be a size"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\",\"cpus\":0}]}",
		 "'containers[0].cpus' must be between"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\",\"pids\":0}]}",
		 "'containers[0].pids' is 0"},
		{"{\"networks\":[{\"name\":\"n\",\"subnet\":\"10.0.0.0/"
		 "24\"}],\"containers\":[{\"name\":\"a\",\"rootfs\":"
		 "\"r\",\"command\":\"x\",\"networks\":[\"n\"],\"ports\":[\"80\"]}]}",
		 "'containers[0].ports[0]': invalid port spec '80'"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\",\"ports\":[\"80:80\"]}]}",
		 "needs the container on a network"},
		{"{\"networks\":[{\"name\":\"n\",\"subnet\":\"10.0.0.1/"
		 "24\"}],\"containers\":[{\"name\":\"a\",\"rootfs\":"
		 "\"r\",\"command\":\"x\"}]}",
		 "'networks[0].subnet'"},
		{"{\"networks\":[{\"name\":\"n\",\"subnet\":\"10.0.0.0/16\"},{\"name\":\"m\",\"subnet\":\"10.0.5.0/"
		 "24\"}],"
		 "\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\"}]}",
		 "overlapping subnets"},
		{"{\"networks\":[{\"name\":\"n\",\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.1.1\"}],"
		 "\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\"}]}",
		 "outside the subnet"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\",\"depends_on\":[\"b\"]}]}",
		 "unknown container 'b'"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\",\"depends_on\":[\"b\"]},"
		 "{\"name\":\"b\",\"rootfs\":\"r\",\"command\":\"x\",\"depends_on\":[\"a\"]}]}",
		 "cycle"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\"},{\"name\":\"a\",\"rootfs\":"
		 "\"r\","
		 "\"command\":\"x\"}]}",
		 "defined twice"},
		{"{\"networks\":[{\"name\":\"n\",\"subnet\":\"10.0.0.0/"
		 "24\"}],\"containers\":[{\"name\":\"a\",\"rootfs\":"
		 "\"r\",\"command\":\"x\",\"networks\":[\"n\"],\"ports\":[\"80:80\"]},{\"name\":\"b\",\"rootfs\":\"r\","
		 "\"command\":\"x\",\"networks\":[\"n\"],\"ports\":[\"70-90:80\"]}]}",
		 "published by both 'a' and 'b'"},
		{"{\"networks\":[{\"name\":\"n\",\"subnet\":\"10.0.0.0/"
		 "24\"}],\"containers\":[{\"name\":\"a\",\"rootfs\":"
		 "\"r\",\"command\":\"x\",\"networks\":[{\"name\":\"n\",\"ip\":\"10.0.1.5\"}]}]}",
		 "outside network 'n'"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\",\"env\":[\"NOEQUALS\"]}]}",
		 "must look like KEY=VALUE"},
		{"{\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\",\"working_dir\":\"rel\"}]}",
		 "must be an absolute path"},
		{"{\"networks\":[{\"name\":\"a-network-with-a-long-name\",\"subnet\":\"10.0.0.0/24\"}],"
		 "\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\"}]}",
		 "cannot name its bridge (at most 15 bytes, no '.'): give 'networks[0].bridge'"},
		{"{\"networks\":[{\"name\":\"n\",\"bridge\":\"br.0\",\"subnet\":\"10.0.0.0/24\"}],"
		 "\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\",\"command\":\"x\"}]}",
		 "'networks[0].bridge' is not a valid bridge name"},
		{"{\"networks\":[{\"name\":\"n\",\"subnet\":\"10.0.0.0/24\"}],\"containers\":[{\"name\":\"a\","
		 "\"rootfs\":\"r\",\"command\":\"x\",\"networks\":[{\"name\":\"n\",\"ip\":\"10.0.0.1\"}]}]}",
		 "'containers[0].networks[0].ip' 10.0.0.1 is the gateway address of network 'n'"},
		{"{\"networks\":[{\"name\":\"n\",\"subnet\":\"10.0.0.0/24\"}],\"containers\":[{\"name\":\"a\","
		 "\"rootfs\":\"r\",\"command\":\"x\",\"networks\":[{\"name\":\"n\",\"ip\":\"10.0.0.255\"}]}]}",
		 "is the broadcast address"},
		{"{\"networks\":[{\"name\":\"n\",\"subnet\":\"10.0.0.0/24\"}],\"containers\":[{\"name\":\"a\","
		 "\"rootfs\":\"r\",\"command\":\"x\",\"networks\":[{\"name\":\"n\",\"ip\":\"10.0.0.7\"}]},"
		 "{\"name\":\"b\",\"rootfs\":\"r\",\"command\":\"x\",\"networks\":[{\"name\":\"n\",\"ip\":\"10.0.0.7\"}"
		 "]}]}",
		 "'containers[1].networks[0].ip' 10.0.0.7 is also given to container 'a'"},
		{"{\"networks\":[{\"name\":\"in\",\"subnet\":\"10.0.0.0/24\",\"internal\":true},"
		 "{\"name\":\"out\",\"subnet\":\"10.0.1.0/24\"}],\"containers\":[{\"name\":\"a\",\"rootfs\":\"r\","
		 "\"command\":\"x\",\"networks\":[\"in\",\"out\"],\"ports\":[\"80:80\"]}]}",
		 "ports are published on the first network, and 'in' is internal"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stack *s = NULL;
		struct berr e = BERR_INIT;

		cr_expect_eq(parse(cases[i].text, &s, &e), -EINVAL, "case %zu accepted", i);
		cr_expect(strstr(e.msg, cases[i].msg), "case %zu: expected '%s' in '%s'", i, cases[i].msg, e.msg);
		cr_expect_null(s);
	}
}

Test(stack_file, sizes)
{
	int64_t v;

	cr_assert_eq(stack_parse_size("64m", &v), 0);
	cr_assert_eq(v, 64 << 20);
	cr_assert_eq(stack_parse_size("1G", &v), 0);
	cr_assert_eq(v, 1 << 30);
	cr_assert_eq(stack_parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(stack_parse_size("512k", &v), 0);
	cr_assert_eq(stack_parse_size("m", &v), -EINVAL);
	cr_assert_eq(stack_parse_size("-1m", &v), -EINVAL);
	cr_assert_eq(stack_parse_size("99999999999999999g", &v), -EINVAL);
}
