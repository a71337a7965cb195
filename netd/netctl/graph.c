/* netctl graph: the topology netd knows as DOT text, svg or png. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "netd/client/client.h"
#include "netd/netctl/graph_render.h"
#include "netd/netctl/netctl.h"

/* The format asked for, else the output file's extension when it names one, else dot. */
static const char *graph_format(const char *format, const char *output)
{
	const char *ext = output ? strrchr(output, '.') : NULL;

	if (format)
		return format;
	if (ext && (strcmp(ext, ".svg") == 0 || strcmp(ext, ".png") == 0))
		return ext + 1;
	return "dot";
}

/* The DOT text to output (stdout when NULL). */
static int write_dot(const char *text, const char *output)
{
	FILE *f;

	if (!output) {
		fputs(text, stdout);
		return 0;
	}
	f = fopen(output, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		return netctl_fail("write %s: %s", output, strerror(errno));
	return 0;
}

int cmd_graph(int argc, char **argv)
{
	static const struct option options[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	struct netctl_args a = {.argc = argc, .argv = argv, .max_pos = 0};
	_cleanup_json_ json_t *nreq = NULL, *nets = NULL, *ereq = NULL, *eps = NULL, *freq = NULL, *fab = NULL;
	const char *format = NULL, *output = NULL;
	_cleanup_free_ char *text = NULL;
	struct berr e = BERR_INIT;
	size_t len = 0;
	FILE *f;
	int c, r;

	while ((c = netctl_getopt(&a, "o:", options)) > 0) {
		if (c == 'o')
			output = optarg;
		else if (c == 'f')
			format = optarg;
	}
	if (c < 0)
		return a.status;
	format = graph_format(format, output);
	if (strcmp(format, "dot") != 0 && strcmp(format, "svg") != 0 && strcmp(format, "png") != 0)
		return netctl_usage_error("graph: --format is dot, svg or png, not '%s'", format);
	nreq = netctl_request(NETD_OP_NETWORK_LS, NULL);
	ereq = netctl_request(NETD_OP_LS, NULL);
	freq = netctl_request(NETD_OP_FABRIC, NULL);
	if ((r = netctl_call(nreq, -1, &nets)) || (r = netctl_call(ereq, -1, &eps)))
		return r;
	/* the fabric's hosts and tunnels, when this netd has joined one (else it answers EOPNOTSUPP) */
	if (!freq || netd_client_request(netd_client_socket_path(netctl_socket_path), freq, -1, &fab, &e) < 0) {
		if (e.code != -EOPNOTSUPP)
			return netctl_fail("graph: %s", berr_message(&e));
		berr_clear(&e);
	}
	f = open_memstream(&text, &len);
	if (!f)
		return netctl_fail("graph: out of memory");
	r = graph_dot(nets, eps, fab, f, &e);
	if (fclose(f) != 0 && r == 0)
		r = berr_oom(&e);
	if (r < 0)
		return netctl_fail("graph: %s", berr_message(&e));
	if (strcmp(format, "dot") == 0)
		return write_dot(text, output);
	if (graph_render(text, format, output, &e) < 0)
		return netctl_fail("%s", berr_message(&e));
	return 0;
}
