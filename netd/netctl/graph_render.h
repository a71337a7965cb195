/* netctl graph's drawing: the topology as Graphviz DOT text, and svg or png from it. */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "err.h"

/*
 * The DOT graph: a cluster per network with its bridge (subnet, gateway,
 * internal or not), a node per container with an edge to each bridge it is
 * attached to (interface and address), and the host with an edge per
 * published port. networks: netd's network.ls result; endpoints: its ls
 * result (each with its ports); fabric: its fabric status, or NULL when it
 * has joined none: then every host of a fabric network is drawn, with a
 * tunnel (VXLAN, or host-gw routes) from the network's bridge to each host
 * that holds a block of it. Writes the DOT text to out.
 */
int graph_dot(const json_t *networks, const json_t *endpoints, const json_t *fabric, FILE *out, struct berr *e);

/*
 * Run Graphviz's `dot -TFORMAT [-o OUTPUT]` (stdout without an output) on
 * the DOT text. -ENOENT when dot is not installed.
 */
int graph_render(const char *text, const char *format, const char *output, struct berr *e);
