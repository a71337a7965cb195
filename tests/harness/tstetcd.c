/* Test helper: etcd started by the test in a namespace, with its data in the scratch directory. */
#include "tstetcd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netd/fabric/etcd.h"
#include "tst.h"

pid_t tst_etcd_start(const char *ns, const char *ip, const char *name, char *url, size_t len)
{
	char data[512], logs[512], client[64], peer[64], cluster[96];
	char *argv[] = {"etcd",	   "--name",
			"default", "--data-dir",
			data,	   "--listen-client-urls",
			client,	   "--advertise-client-urls",
			client,	   "--listen-peer-urls",
			peer,	   "--initial-advertise-peer-urls",
			peer,	   "--initial-cluster",
			cluster,   "--logger",
			"zap",	   "--log-outputs",
			logs,	   NULL};
	const char *eps[1] = {url};
	struct etcd_opts o = {.endpoints = eps, .n_endpoints = 1, .timeout_ms = 500};
	struct etcd *c = NULL;
	pid_t pid;

	if (access("/usr/bin/etcd", X_OK) != 0)
		tst_skip("etcd is not installed (Debian etcd-server)");
	snprintf(data, sizeof(data), "%s", tst_path("etcd-%s", name));
	snprintf(logs, sizeof(logs), "%s", tst_path("etcd-%s.log", name));
	snprintf(client, sizeof(client), "http://%s:2379", ip);
	snprintf(peer, sizeof(peer), "http://%s:2380", ip);
	snprintf(cluster, sizeof(cluster), "default=%s", peer);
	snprintf(url, len, "%s", client);
	pid = tst_spawn(ns, argv, NULL);
	cr_assert(etcd_open(&o, &c, NULL) == 0);
	for (int i = 0; i < 300; i++) {
		struct etcd_kvs kvs = {0};
		int st;

		if (etcd_range(c, "/health-probe", false, &kvs, NULL) == 0) {
			etcd_kvs_clear(&kvs);
			etcd_close(c);
			return pid;
		}
		if (waitpid(pid, &st, WNOHANG) == pid)
			cr_assert_fail("etcd exited while starting (status %d)", st);
		usleep(20000);
	}
	etcd_close(c);
	cr_assert_fail("etcd did not answer on %s", url);
	return -1;
}

void tst_etcd_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 250; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			tst_wait(pid); /* untrack; already reaped */
			return;
		}
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	tst_wait(pid);
}
