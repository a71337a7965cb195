/*
 * Host port claims (<state>/ports/tcp-PORT.json) as the engine reads them
 * back while claiming, releasing and sweeping: files left by other
 * processes, older writers, crashes or hand edits. Whatever the file holds,
 * a claim and a release of one endpoint balance, and a sweep with nobody
 * alive leaves no claim of the network.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"
#include "netd/engine/ports.h"
#include "netd/engine/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[PATH_MAX];
static struct store st;

static void remove_root(void)
{
	bfile_rm_rf(root, NULL);
}

static int setup(void)
{
	const char *tmp = getenv("TMPDIR");
	struct berr e = BERR_INIT;

	if (root[0])
		return 0;
	snprintf(root, sizeof(root), "%s/berth-fuzz-claims.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root) || store_init(&st, root, 1000, &e) < 0)
		return -1;
	atexit(remove_root);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bportspec port = {.host_port = 8080,
				 .host_port_end = 8081,
				 .container_port = 80,
				 .container_port_end = 81,
				 .proto = BPROTO_TCP};
	struct eng_endpoint ep = {.network = "n1", .id = "c1", .ifname = "eth0", .ip = 0x0a000002};
	struct berr e = BERR_INIT;
	char path[PATH_MAX];
	int fd;

	if (setup() < 0)
		abort();
	ep.ports = &port;
	ep.n_ports = 1;
	store_path(&st, path, sizeof(path), "ports/tcp-8080.json");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (size && data[0] & 1)
		port.host_ip = 0x7f000001;
	if (ports_claim(&st, &ep, &e) == 0 && ports_release(&st, &ep, &e) < 0)
		__builtin_trap();
	if (ports_sweep(&st, "n1", NULL, 0, &e) < 0)
		__builtin_trap();
	(void)ports_sweep(&st, NULL, NULL, 0, &e);
	unlink(path);
	store_path(&st, path, sizeof(path), "ports/tcp-8081.json");
	unlink(path);
	return 0;
}
