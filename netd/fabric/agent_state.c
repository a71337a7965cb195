/* The agent's state: lookups of nodes and networks, and the flags netd's thread sets for it. */
#include "netd/fabric/agent.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "array.h"

struct f_node *ag_node(struct fabric *f, const char *name, bool create)
{
	for (size_t i = 0; i < f->n_nodes; i++)
		if (strcmp(f->nodes[i].name, name) == 0)
			return &f->nodes[i];
	if (!create || BARRAY_RESERVE(f->nodes, f->cap_nodes, f->n_nodes + 1) < 0)
		return NULL;
	memset(&f->nodes[f->n_nodes], 0, sizeof(f->nodes[0]));
	snprintf(f->nodes[f->n_nodes].name, sizeof(f->nodes[0].name), "%s", name);
	return &f->nodes[f->n_nodes++];
}

struct f_net *ag_net(struct fabric *f, const char *name)
{
	for (size_t i = 0; i < f->n_nets; i++)
		if (strcmp(f->nets[i].def.name, name) == 0)
			return &f->nets[i];
	return NULL;
}

bool ag_resync_asked(struct fabric *f)
{
	bool r;

	pthread_mutex_lock(&f->mu);
	r = f->resync;
	f->resync = false;
	pthread_mutex_unlock(&f->mu);
	return r;
}

bool ag_stopping(struct fabric *f)
{
	bool s;

	pthread_mutex_lock(&f->mu);
	s = f->stop;
	pthread_mutex_unlock(&f->mu);
	return s;
}
