/* netctl: netd's command-line client (docs/netd.md). main: the global options, then the command's handler. */
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "netd/netctl/netctl.h"

/* In netctl --help's order. The network group's subcommands have a line each, under one handler. */
static const struct netctl_cmd commands[] = {
	{"network", cmd_network,
	 "network create NAME --subnet CIDR [--gateway IP] [--bridge BR] [--mtu N]\n"
	 "                 [--range START-END] [--no-masquerade] [--internal]\n"
	 "                 (--subnet, --gateway, --range: once per family, IPv4 and/or IPv6)\n"
	 "                 [--masquerade6 | --no-masquerade6] (default: on for fd00::/8)\n"
	 "  network create NAME --subnet CIDR --fabric [--host-prefix N] [--mode vxlan|host-gw]\n"
	 "                 [--subnet CIDR6 [--host-prefix6 N]] (IPv6: vxlan mode; --subnet6 says the same)\n"
	 "  network rm NAME\n"
	 "  network ls\n"
	 "  network inspect NAME",
	 NULL},
	{"attach", cmd_attach,
	 "attach ID --netns PATH [--network NAME] [--ifname IF] [--ip IP] [--ip6 IP6] [--mac MAC]\n"
	 "            [-p [HOSTIP:|[HOSTIP6]:]HOSTPORT[-END]:CONTAINERPORT[-END][/tcp|/udp]]...\n"
	 "            [--name NAME] [--alias NAME]...",
	 NULL},
	{"detach", cmd_detach, "detach ID [--network NAME] [--ifname IF]", NULL},
	{"ls", cmd_ls, "ls [--network NAME]", "endpoints"},
	{"inspect", cmd_inspect, "inspect ID", "everything about one container's endpoints"},
	{"routes", cmd_routes, "routes ID [--network NAME] [--ifname IF]", "routes inside the container, every table"},
	{"ports", cmd_ports, "ports", "every published port"},
	{"dns", cmd_dns, "dns NETWORK", "the names the network's resolver answers, with addresses"},
	{"status", cmd_status, "status NETWORK", "can an attach succeed (free addresses, bridge)"},
	{"reconcile", cmd_reconcile, "reconcile", "make the kernel match netd's records now"},
	{"graph", cmd_graph, "graph [--output FILE] [--format dot|svg|png]",
	 "the topology as a Graphviz picture (svg, png: needs dot)"},
	{"fabric", cmd_fabric, "fabric", "hosts of the fabric: underlay, blocks, lease, last seen; in sync?"},
	{"teardown", cmd_teardown, "teardown", "remove berth's nftables table (only once no network is left)"},
	{"ping", cmd_ping, "ping", "is netd there"},
};

/* The column of the one-line help; a longer synopsis puts it on a line of its own. */
#define SUMMARY_COLUMN 32

static void usage(FILE *f)
{
	fprintf(f, "usage: netctl [--socket PATH] [--json] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct netctl_cmd *c = &commands[i];
		int len = (int)strlen(c->synopsis);

		fprintf(f, "  %s", c->synopsis);
		if (c->summary && len < SUMMARY_COLUMN)
			fprintf(f, "%*s%s", SUMMARY_COLUMN - len, "", c->summary);
		else if (c->summary)
			fprintf(f, "\n  %*s%s", SUMMARY_COLUMN, "", c->summary);
		fputc('\n', f);
	}
	fprintf(f, "\n"
		   "Global options may also follow the command. The socket is --socket, else\n"
		   "$BERTH_NETD_SOCKET, else " NETD_DEFAULT_SOCKET ".\n");
}

static const struct netctl_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct netctl_cmd *cmd;
	const char *bad = NULL;
	int c, r;

	/* The global options before the command ("+": stop at it); its handler reads the ones after it. */
	while ((c = netctl_getopt_long(argc, argv, "+:h", NULL, &bad)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return netctl_usage_error("%s needs a value", bad);
		default:
			/* the first word that is no global option is the command */
			return netctl_usage_error("unknown command '%s'", bad);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return NETCTL_EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return netctl_usage_error("unknown command '%s'", argv[optind]);
	r = cmd->run(argc - optind, argv + optind);
	if (r == NETCTL_HELP) {
		usage(stdout);
		return 0;
	}
	return r;
}
