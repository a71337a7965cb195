/*
 * The topology as a Graphviz DOT graph (`netctl graph`): a cluster per
 * network with its bridge (subnet, gateway, internal or not), a node per
 * container with an edge to each bridge it is attached to (interface and
 * address), and the host with an edge per published port.
 */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "err.h"

/*
 * networks: netd's network.ls result; endpoints: its ls result (each with
 * its ports). Writes the DOT text to out.
 */
int graph_dot(const json_t *networks, const json_t *endpoints, FILE *out, struct berr *e);
