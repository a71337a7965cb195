/* netctl: what its command files share (arguments, requests to netd, output). */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>

#include "netd/protocol.h"
#include "table.h"

/* Exit statuses: a request that failed, a command line that is wrong. */
#define NETCTL_EXIT_FAIL 1
#define NETCTL_EXIT_USAGE 2
/* What a command returns for --help: main prints the usage, and the status is 0. */
#define NETCTL_HELP (-1)

/* The global options, set wherever they appear on the line. */
extern bool netctl_json;	       /* --json: print netd's result as JSON */
extern const char *netctl_socket_path; /* --socket, else NULL */

/* A command: its handler gets argv[0] = its name and what follows on the line; returns the exit status. */
struct netctl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis; /* its lines in netctl --help (more lines: "\n" and the indentation) */
	const char *summary;  /* the one-line help beside it, or NULL */
};

/* "netctl: MESSAGE" and the pointer to --help on stderr; returns NETCTL_EXIT_USAGE. */
int netctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "netctl: MESSAGE" on stderr; returns NETCTL_EXIT_FAIL. */
int netctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* getopt_long's values for the global options --json and --socket (--help is 'h'). */
enum {
	NETCTL_OPT_JSON = 0x100,
	NETCTL_OPT_SOCKET,
};

/* How many long options a command may have, the global ones aside. */
#define NETCTL_MAX_OPTIONS 16

/* The arguments of one command while netctl_getopt goes over them: {.argc, .argv, .max_pos} to start. */
#define NETCTL_MAX_POS 8
struct netctl_args {
	int argc;
	char **argv;
	int max_pos; /* more positional arguments are a usage error */
	char *pos[NETCTL_MAX_POS];
	int n_pos;
	int status;   /* once netctl_getopt failed: what the command returns (NETCTL_HELP or an exit status) */
	bool started; /* getopt_long was reset for these arguments */
};

/*
 * getopt_long (opterr off) for the command lines netctl always took: long
 * options spelled out in full, short ones alone (no clusters, no glued
 * values), "--" an unknown option. longopts (NULL: none) are a command's
 * own; the global options are added, and handled here (never returned). On
 * '?' and ':' *ret_bad is the argument at fault.
 */
int netctl_getopt_long(int argc, char **argv, const char *optstring, const struct option *longopts,
		       const char **ret_bad);

/*
 * netctl_getopt_long over a command's arguments (argv[1] on). Returns the
 * next option of the command (getopt_long's value, optarg set), 0 once every
 * argument is read, or a negative errno when the command ends here, with
 * a->status what it returns: -ECANCELED for --help (NETCTL_HELP), -EINVAL
 * for a usage error (printed; NETCTL_EXIT_USAGE). Positional arguments are
 * collected in a->pos in their order.
 */
int netctl_getopt(struct netctl_args *a, const char *shortopts, const struct option *longopts);

/* netctl_getopt for a command without options of its own: 0, or the status to return (nonzero). */
int netctl_getopt_plain(struct netctl_args *a);

/*
 * The request {"op": op, ...}: fields in json_pack's object format
 * ("{s:s, s:s*}") with their values, or NULL for none. NULL when out of
 * memory, which netctl_call then reports.
 */
json_t *netctl_request(const char *op, const char *fields, ...);

/* Send req (and pass_fd, -1: none); netd's result in *ret_result. 0, or NETCTL_EXIT_FAIL after the message. */
int netctl_call(const json_t *req, int pass_fd, json_t **ret_result);

/* Print v as indented JSON. */
void netctl_print_json(const json_t *v);

/*
 * The output of a listing: res as JSON with --json, else a table with
 * headers hdr and, from each element of rows, the row add_row adds.
 * Returns 0, or NETCTL_EXIT_FAIL when out of memory.
 */
int netctl_print_list(const json_t *res, const json_t *rows, const char *const *hdr,
		      int (*add_row)(struct table *t, const json_t *row));

/* Members of netd's results: "" / 0 / false when absent. */
const char *netctl_str(const json_t *o, const char *key);
json_int_t netctl_int(const json_t *o, const char *key);
bool netctl_bool(const json_t *o, const char *key);

/*
 * OP ARG for a command without options of its own, ARG sent as key, or OP
 * alone when key is NULL; usage is the error when ARG is missing. netd's
 * result in *ret_result. 0, or the status for the command to return.
 */
int netctl_simple_call(const char *op, const char *key, const char *usage, int argc, char **argv, json_t **ret_result);

/*
 * OP ID [--network NAME] [--ifname IF]: a request about one container's
 * endpoints, its id in *ret_id. 0, or the status for the command to return.
 */
int netctl_endpoint_call(const char *op, int argc, char **argv, const char **ret_id, json_t **ret_result);

/* The commands, one file per group: network.c */
int cmd_network(int argc, char **argv);
/* endpoint.c */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_ports(int argc, char **argv);
/* routes.c */
int cmd_routes(int argc, char **argv);
/* graph.c */
int cmd_graph(int argc, char **argv);
/* dns.c */
int cmd_dns(int argc, char **argv);
/* fabric.c */
int cmd_fabric(int argc, char **argv);
/* Wait for the fabric operation whose ticket netd answered with: 0, or the status to return. */
int netctl_fabric_wait(const json_t *res);
/* admin.c */
int cmd_status(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
int cmd_teardown(int argc, char **argv);
int cmd_ping(int argc, char **argv);
