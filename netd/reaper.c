#include "netd/reaper.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netd/link.h"
#include "netd/nlsock.h"

#define REAPER_MAX 65536

struct reaper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t idle;
	bool busy;
	char (*names)[16];
	size_t head, n, cap;
	bool stop;
	struct nlsock *ns;
};

static void *reaper_main(void *arg)
{
	struct reaper *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		char name[16];

		while (r->n == 0 && !r->stop) {
			r->busy = false;
			pthread_cond_broadcast(&r->idle);
			pthread_cond_wait(&r->cond, &r->lock);
		}
		if (r->n == 0)
			break;
		memcpy(name, r->names[r->head], sizeof(name));
		r->head = (r->head + 1) % r->cap;
		r->n--;
		r->busy = true;
		pthread_mutex_unlock(&r->lock);
		/* gone already (its namespace died) is fine; any other failure is left to reconcile */
		link_delete(r->ns, name, NULL);
		pthread_mutex_lock(&r->lock);
	}
	r->busy = false;
	pthread_cond_broadcast(&r->idle);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int reaper_start(struct reaper **ret, struct berr *e)
{
	struct reaper *r = calloc(1, sizeof(*r));
	sigset_t all, old;
	int rc;

	if (!r)
		return berr_set(e, -ENOMEM, "out of memory");
	rc = nlsock_open(-1, &r->ns, e);
	if (rc < 0) {
		free(r);
		return rc;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_cond_init(&r->idle, NULL);
	/* signals belong to the main thread's signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&r->thread, NULL, reaper_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		nlsock_close(r->ns);
		free(r);
		return berr_sys(e, -rc, "start the link reaper thread");
	}
	*ret = r;
	return 0;
}

int reaper_add(struct reaper *r, const char *name)
{
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (r->stop) {
		rc = -ESHUTDOWN;
	} else if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		char(*nv)[16];

		if (cap > REAPER_MAX || !(nv = malloc(cap * sizeof(*nv)))) {
			rc = -ENOMEM;
		} else {
			for (size_t i = 0; i < r->n; i++)
				memcpy(nv[i], r->names[(r->head + i) % r->cap], 16);
			free(r->names);
			r->names = nv;
			r->cap = cap;
			r->head = 0;
		}
	}
	if (rc == 0) {
		snprintf(r->names[(r->head + r->n) % r->cap], 16, "%s", name);
		r->n++;
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void reaper_flush(struct reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	while ((r->n > 0 || r->busy) && !r->stop)
		pthread_cond_wait(&r->idle, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

void reaper_stop(struct reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	nlsock_close(r->ns);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	pthread_cond_destroy(&r->idle);
	free(r->names);
	free(r);
}
