/* The link reaper: deletes detached veths on a worker thread of its own. */
/*
 * Unregistering a netdev waits for RCU grace periods (~20 ms on the
 * development machine), which would dominate a detach; netd takes the veth
 * off its bridge and renames it out of the way (microseconds), answers, and
 * leaves the deletion to this thread. The thread only talks rtnetlink in
 * the process's own namespace. A crash loses nothing: reconcile deletes
 * every link of the reaper's naming ("bx" + 12 hex digits).
 */
#pragma once

#include "err.h"

struct reaper;

int reaper_start(struct reaper **ret, struct berr *e);
/* Queue a link (by name) for deletion; -ENOMEM or -ESHUTDOWN when it cannot be queued. */
int reaper_add(struct reaper *r, const char *name);
/*
 * Queue a file descriptor whose last close waits for the kernel (a private
 * procfs mount: unmounting it takes ~1 ms): the thread closes it. Takes fd
 * whatever happens (closed here when it cannot be queued).
 */
void reaper_close(struct reaper *r, int fd);
/* Wait until every queued link is deleted (returns at once when none is). */
void reaper_flush(struct reaper *r);

/* Delete what is still queued, then stop the thread. */
void reaper_stop(struct reaper *r);

/*
 * For one-shot processes (berth-cni), which cannot keep a thread: delete the
 * links (retired, so nothing uses them) from a detached child (a session of
 * its own, every inherited fd closed at once so a caller reading our output
 * sees its end) and return without waiting; it is reaped by whoever inherits
 * it when we exit. keep_fd (>= 0): an nftables socket whose last close
 * would wait (see reaper.c); the child keeps a copy and closes it only after
 * *ret_hold is closed, which the caller does once its own copy is closed.
 * -errno when no process could be started (the caller deletes the links).
 */
int reaper_handoff(char (*names)[16], size_t n, int keep_fd, int *ret_hold);
