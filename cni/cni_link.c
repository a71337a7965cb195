/* berth-cni: read-only look-ups of host links (a MAC for the result). */
#include "cni/cni_link.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "cleanup.h"

int cni_link_mac(const char *ifname, uint8_t ret[6])
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	/* One ioctl: a netlink dump would cost more than the rest of the result. */
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(ret, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}
