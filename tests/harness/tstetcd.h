/* Test helper: a real etcd (Debian's etcd-server) started by the test, in one of its namespaces. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * Start etcd in namespace ns (NULL: the test's own) listening for clients on
 * ip:2379 and peers on ip:2380, its data under the scratch directory
 * (name distinguishes several), and wait until it answers. url gets
 * "http://ip:2379". Skips the test when etcd is not installed. Stopped by
 * tst_etcd_stop or tst_teardown (it is a tracked child).
 */
pid_t tst_etcd_start(const char *ns, const char *ip, const char *name, char *url, size_t len);
/* Stop it (SIGTERM, then SIGKILL after 5 s) and reap it. */
void tst_etcd_stop(pid_t pid);
