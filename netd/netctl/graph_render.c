/* netctl graph's drawing: the DOT text of the topology, and svg or png from it through Graphviz's dot. */
#include "netd/netctl/graph_render.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netd/netctl/netctl.h"

/* A DOT string literal's content: names are validated by netd, but quote anyway. */
static void quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* How many networks an endpoint's container is on: one network's containers are drawn inside it. */
static size_t networks_of(const json_t *eps, const char *id)
{
	const char *seen[64];
	size_t n = 0, i;
	json_t *ep;

	json_array_foreach (eps, i, ep) {
		bool dup = false;

		if (strcmp(netctl_str(ep, "id"), id) != 0)
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = strcmp(seen[k], netctl_str(ep, "network")) == 0;
		if (!dup && n < 64)
			seen[n++] = netctl_str(ep, "network");
	}
	return n;
}

static bool drawn_before(const json_t *eps, size_t upto, const char *id)
{
	for (size_t i = 0; i < upto; i++)
		if (strcmp(netctl_str(json_array_get(eps, i), "id"), id) == 0)
			return true;
	return false;
}

static void container_node(FILE *out, const char *id, const char *indent)
{
	char node[160];

	snprintf(node, sizeof(node), "ctr:%s", id);
	fputs(indent, out);
	quoted(out, node);
	fputs(" [label=", out);
	quoted(out, id);
	fputs(", shape=box, style=\"rounded,filled\", fillcolor=\"#fff8e1\"];\n", out);
}

static void port_text(const json_t *p, char *buf, size_t len)
{
	long long hp = json_integer_value(json_object_get(p, "host_port"));
	long long hpe = json_integer_value(json_object_get(p, "host_port_end"));
	long long cp = json_integer_value(json_object_get(p, "container_port"));
	long long cpe = json_integer_value(json_object_get(p, "container_port_end"));
	char h[32], c[32];

	snprintf(h, sizeof(h), hpe > hp ? "%lld-%lld" : "%lld", hp, hpe);
	snprintf(c, sizeof(c), cpe > cp ? "%lld-%lld" : "%lld", cp, cpe);
	if (strchr(netctl_str(p, "host_ip"), ':'))
		snprintf(buf, len, "[%s]:%s -> %s/%s", netctl_str(p, "host_ip"), h, c, netctl_str(p, "protocol"));
	else
		snprintf(buf, len, "%s:%s -> %s/%s", netctl_str(p, "host_ip"), h, c, netctl_str(p, "protocol"));
}

/* A fabric network's part of the status, by name (NULL: not one). */
static const json_t *fabric_net(const json_t *fabric, const char *name)
{
	const json_t *n;
	size_t i;

	json_array_foreach (json_object_get(fabric, "networks"), i, n)
		if (strcmp(netctl_str(n, "name"), name) == 0)
			return n;
	return NULL;
}

static const char *state_color(const char *state)
{
	if (strcmp(state, "alive") == 0)
		return "#1565c0";
	return strcmp(state, "grace") == 0 ? "#ef6c00" : "#9e9e9e";
}

/* Every host of the fabric (this one first), and per fabric network a tunnel from its bridge to each other host. */
/* A host's blocks of a fabric network: "BLOCK", "BLOCK6" or "BLOCK BLOCK6". */
static const char *host_blocks(const json_t *b, char *buf, size_t len)
{
	const char *v4 = netctl_str(b, "block"), *v6 = netctl_str(b, "block6");

	snprintf(buf, len, "%s%s%s", v4, *v4 && *v6 ? " " : "", v6);
	return buf;
}

static void fabric_dot(const json_t *networks, const json_t *fabric, FILE *out)
{
	const json_t *h, *n, *b;
	size_t i, k;

	json_array_foreach (json_object_get(fabric, "hosts"), i, h) {
		char node[96], label[192];
		bool self = json_is_true(json_object_get(h, "self"));

		snprintf(node, sizeof(node), "host:%s", netctl_str(h, "node"));
		snprintf(label, sizeof(label), "%s %s\nunderlay %s\n%s", self ? "this host" : "host",
			 netctl_str(h, "node"), netctl_str(h, "underlay"), netctl_str(h, "state"));
		fputs("  ", out);
		quoted(out, node);
		fputs(" [label=", out);
		quoted(out, label);
		fprintf(out, ", shape=box3d, style=filled, fillcolor=\"%s\", color=\"%s\"];\n",
			self ? "#e3f2fd" : "#f5f5f5", state_color(netctl_str(h, "state")));
	}
	json_array_foreach (networks, i, n) {
		const json_t *fn = fabric_net(fabric, netctl_str(n, "name"));
		bool vx;
		char from[96];

		if (!fn)
			continue;
		vx = strcmp(netctl_str(fn, "mode"), "vxlan") == 0;
		snprintf(from, sizeof(from), "net:%s", netctl_str(n, "name"));
		json_array_foreach (json_object_get(fn, "hosts"), k, b) {
			char to[96], label[256], blocks[112];
			const json_t *host = NULL, *x;
			size_t j;

			json_array_foreach (json_object_get(fabric, "hosts"), j, x)
				if (strcmp(netctl_str(x, "node"), netctl_str(b, "node")) == 0)
					host = x;
			snprintf(to, sizeof(to), "host:%s", netctl_str(b, "node"));
			if (host && json_is_true(json_object_get(host, "self"))) {
				/* this host's own block: the network lives here */
				fputs("  ", out);
				quoted(out, to);
				fputs(" -> ", out);
				quoted(out, from);
				snprintf(label, sizeof(label), "block %s", host_blocks(b, blocks, sizeof(blocks)));
				fputs(" [dir=none, style=dotted, label=", out);
				quoted(out, label);
				fputs("];\n", out);
				continue;
			}
			if (vx)
				snprintf(label, sizeof(label), "VXLAN %s VNI %lld\n%s", netctl_str(fn, "device"),
					 (long long)json_integer_value(json_object_get(fn, "vni")),
					 host_blocks(b, blocks, sizeof(blocks)));
			else
				snprintf(label, sizeof(label), "host-gw via %s\n%s", netctl_str(b, "underlay"),
					 netctl_str(b, "block"));
			fputs("  ", out);
			quoted(out, from);
			fputs(" -> ", out);
			quoted(out, to);
			/* a tunnel in use in the colour of its host's state; grey when not programmed */
			fprintf(out, " [dir=both, style=%s, color=\"%s\", label=", vx ? "bold" : "dashed",
				json_is_true(json_object_get(b, "programmed"))
					? state_color(host ? netctl_str(host, "state") : "gone")
					: "#9e9e9e");
			quoted(out, label);
			fputs("];\n", out);
		}
	}
}

int graph_dot(const json_t *networks, const json_t *endpoints, const json_t *fabric, FILE *out, struct berr *e)
{
	bool ports = false;
	json_t *n, *ep, *p;
	size_t i, k;

	fprintf(out,
		"digraph berth {\n"
		"  graph [rankdir=LR, fontname=\"Helvetica\", label=\"berth: networks, containers, published "
		"ports%s\", "
		"labelloc=t];\n"
		"  node [fontname=\"Helvetica\", fontsize=11];\n"
		"  edge [fontname=\"Helvetica\", fontsize=10];\n",
		fabric ? "; the fabric's hosts and tunnels" : "");
	json_array_foreach (networks, i, n) {
		const char *name = netctl_str(n, "name");
		char label[256], node[96], cluster[96];

		snprintf(cluster, sizeof(cluster), "cluster_%s", name);
		snprintf(node, sizeof(node), "net:%s", name);
		snprintf(label, sizeof(label), "network %s\n%s%s%s%s", name, netctl_str(n, "subnet"),
			 *netctl_str(n, "subnet") && *netctl_str(n, "subnet6") ? "\n" : "", netctl_str(n, "subnet6"),
			 json_is_true(json_object_get(n, "internal")) ? " (internal)" : "");
		if (fabric_net(fabric, name)) {
			const json_t *fn = fabric_net(fabric, name);
			size_t l = strlen(label);

			snprintf(label + l, sizeof(label) - l, "\nfabric %s%s%s (%s, VNI %lld)",
				 netctl_str(fn, "subnet"),
				 *netctl_str(fn, "subnet") && *netctl_str(fn, "subnet6") ? " " : "",
				 netctl_str(fn, "subnet6"), netctl_str(fn, "mode"),
				 (long long)json_integer_value(json_object_get(fn, "vni")));
		}
		fputs("  subgraph ", out);
		quoted(out, cluster);
		fputs(" {\n    label=", out);
		quoted(out, label);
		fputs(";\n    style=\"rounded,filled\"; fillcolor=\"#eef4fb\"; color=\"#7a9cc6\";\n    ", out);
		snprintf(label, sizeof(label), "bridge %s\ngateway %s%s%s", netctl_str(n, "bridge"),
			 netctl_str(n, "gateway"), *netctl_str(n, "gateway") && *netctl_str(n, "gateway6") ? " " : "",
			 netctl_str(n, "gateway6"));
		quoted(out, node);
		fputs(" [label=", out);
		quoted(out, label);
		fputs(", shape=ellipse, style=filled, fillcolor=\"#d6e6f7\"];\n", out);
		json_array_foreach (endpoints, k, ep) {
			if (strcmp(netctl_str(ep, "network"), name) != 0 ||
			    networks_of(endpoints, netctl_str(ep, "id")) != 1 ||
			    drawn_before(endpoints, k, netctl_str(ep, "id")))
				continue;
			container_node(out, netctl_str(ep, "id"), "    ");
		}
		fputs("  }\n", out);
	}
	json_array_foreach (endpoints, k, ep) {
		if (networks_of(endpoints, netctl_str(ep, "id")) > 1 &&
		    !drawn_before(endpoints, k, netctl_str(ep, "id")))
			container_node(out, netctl_str(ep, "id"), "  ");
		ports = ports || json_array_size(json_object_get(ep, "ports")) > 0;
	}
	if (fabric)
		fabric_dot(networks, fabric, out);
	if (ports)
		fputs("  \"host\" [label=\"host\\npublished ports\", shape=box3d, style=filled, "
		      "fillcolor=\"#e8f5e9\"];\n",
		      out);
	json_array_foreach (endpoints, k, ep) {
		char from[160], to[96], label[128];

		snprintf(from, sizeof(from), "ctr:%s", netctl_str(ep, "id"));
		snprintf(to, sizeof(to), "net:%s", netctl_str(ep, "network"));
		if (*netctl_str(ep, "ip") && *netctl_str(ep, "ip6"))
			snprintf(label, sizeof(label), "%s %s/%lld\n%s/%lld", netctl_str(ep, "ifname"),
				 netctl_str(ep, "ip"), (long long)json_integer_value(json_object_get(ep, "prefix")),
				 netctl_str(ep, "ip6"), (long long)json_integer_value(json_object_get(ep, "prefix6")));
		else if (*netctl_str(ep, "ip6"))
			snprintf(label, sizeof(label), "%s %s/%lld", netctl_str(ep, "ifname"), netctl_str(ep, "ip6"),
				 (long long)json_integer_value(json_object_get(ep, "prefix6")));
		else
			snprintf(label, sizeof(label), "%s %s/%lld", netctl_str(ep, "ifname"), netctl_str(ep, "ip"),
				 (long long)json_integer_value(json_object_get(ep, "prefix")));
		fputs("  ", out);
		quoted(out, from);
		fputs(" -> ", out);
		quoted(out, to);
		fputs(" [dir=none, label=", out);
		quoted(out, label);
		fputs("];\n", out);
		json_array_foreach (json_object_get(ep, "ports"), i, p) {
			port_text(p, label, sizeof(label));
			fputs("  \"host\" -> ", out);
			quoted(out, from);
			fputs(" [color=\"#2e7d32\", fontcolor=\"#2e7d32\", label=", out);
			quoted(out, label);
			fputs("];\n", out);
		}
	}
	fputs("}\n", out);
	if (ferror(out))
		return berr_set(e, -EIO, "write the graph");
	return 0;
}

int graph_render(const char *text, const char *format, const char *output, struct berr *e)
{
	extern char **environ;
	char tflag[16];
	char *argv[] = {"dot", tflag, NULL, NULL, NULL};
	posix_spawn_file_actions_t fa;
	int p[2], status = 0, r;
	pid_t pid;
	size_t len = strlen(text);

	snprintf(tflag, sizeof(tflag), "-T%s", format);
	if (output) {
		argv[2] = "-o";
		argv[3] = (char *)output;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return berr_errno(e, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	r = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (r != 0) {
		close(p[1]);
		if (r == ENOENT)
			return berr_set(e, -ENOENT,
					"graph --format %s needs Graphviz's dot, which is not installed "
					"(apt-get install graphviz); --format dot writes the DOT text",
					format);
		return berr_sys(e, -r, "run dot");
	}
	/* a dot that stops reading has failed: its status says so below */
	for (size_t off = 0; off < len;) {
		ssize_t n = write(p[1], text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(p[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berr_set(e, -EIO, "dot failed (status %d)", status);
	return 0;
}
