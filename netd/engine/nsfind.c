/* Finding an endpoint's network namespace again: by its recorded path, else through /proc. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "netd/engine/eng_int.h"
#include "netd/engine/engine.h"
#include "netns.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

int eng_netns_cookie(int nsfd, uint64_t *ret)
{
	_cleanup_close_ int fd = -1;
	socklen_t len = sizeof(*ret);
	int r;

	/* any socket born in the namespace tells its cookie */
	r = bns_socket(nsfd, AF_UNIX, SOCK_DGRAM, 0, &fd, NULL);
	if (r < 0)
		return r;
	return getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, ret, &len) < 0 ? -errno : 0;
}

bool eng_netns_matches(int fd, const struct eng_endpoint *ep)
{
	struct stat st;
	uint64_t cookie;

	if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != ep->netns_ino || (uint64_t)st.st_dev != ep->netns_dev)
		return false;
	return !ep->netns_cookie || (eng_netns_cookie(fd, &cookie) == 0 && cookie == ep->netns_cookie);
}

int eng_endpoint_netns(const struct eng_endpoint *ep, int *ret_fd, struct berr *e)
{
	DIR *d;
	struct dirent *de;

	if (ep->netns_path) {
		int fd = -1;

		/* A bind mount may have been replaced by another namespace: check the identity. */
		if (bns_open(ep->netns_path, CLONE_NEWNET, &fd, NULL) == 0) {
			if (eng_netns_matches(fd, ep)) {
				*ret_fd = fd;
				return 0;
			}
			close(fd);
		}
	}
	/*
	 * Namespaces handed over as fds have no path: any process still in the
	 * namespace leads to it. Slow (one stat per process) but only used by
	 * inspection and reconcile of endpoints whose veth went missing.
	 */
	d = opendir("/proc");
	if (!d)
		return berr_errno(e, "open /proc");
	while ((de = readdir(d))) {
		char path[64];
		struct stat st;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st) < 0 || (uint64_t)st.st_ino != ep->netns_ino || (uint64_t)st.st_dev != ep->netns_dev)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (eng_netns_matches(fd, ep)) {
			closedir(d);
			*ret_fd = fd;
			return 0;
		}
		close(fd);
	}
	closedir(d);
	return berr_set(e, -ESRCH, "the network namespace of container '%s' is gone", ep->id);
}
