/* runtime/hooks.c: running OCI hooks with a timeout and their output kept for errors. */
#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "runtime/process.h"
#include "runtime/sys.h"

/*
 * A hook may exit without reading its stdin: the write then fails with
 * EPIPE, and must not kill the caller with SIGPIPE whatever its signal
 * disposition (library code; berth ignores it, other callers may not).
 */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
	static const struct timespec zero;
	sigset_t pipe_set, old;
	ssize_t n;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, buf, len);
	saved = errno;
	if (n < 0 && errno == EPIPE && !sigismember(&old, SIGPIPE)) {
		/* take back the SIGPIPE this write raised before unblocking */
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

#define OUTPUT_TAIL 512

static void keep_tail(char *tail, size_t *len, const char *buf, size_t n)
{
	if (n >= OUTPUT_TAIL) {
		memcpy(tail, buf + n - OUTPUT_TAIL, OUTPUT_TAIL);
		*len = OUTPUT_TAIL;
		return;
	}
	if (*len + n > OUTPUT_TAIL) {
		size_t drop = *len + n - OUTPUT_TAIL;

		memmove(tail, tail + drop, *len - drop);
		*len -= drop;
	}
	memcpy(tail + *len, buf, n);
	*len += n;
}

static int run_one(const struct rt_hook *h, const char *name, const char *state, struct berr *e)
{
	_cleanup_close_ int in_w = -1, out_r = -1, pidfd = -1;
	int in[2], out[2];
	char tail[OUTPUT_TAIL + 1];
	size_t tail_len = 0, state_len = strlen(state), written = 0;
	long long deadline = h->timeout ? bclock_now_ms() + (long long)h->timeout * 1000 : 0;
	bool exited = false, out_open = true, timed_out = false;
	int status = 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return berr_errno(e, "pipe");
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return berr_errno(e, "pipe");
	}
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return berr_errno(e, "fork for %s", name);
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		rt_process_reset_signals();
		rt_sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		execve(h->path, h->args, h->env);
		dprintf(2, "exec %s: %s", h->path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	in_w = in[1];
	out_r = out[0];
	fcntl(in_w, F_SETFL, O_NONBLOCK);
	pidfd = rt_sys_pidfd_open(pid, 0);
	while (!exited || out_open) {
		struct pollfd pfd[3] = {{.fd = out_open ? out_r : -1, .events = POLLIN},
					{.fd = exited ? -1 : pidfd, .events = POLLIN},
					{.fd = in_w, .events = POLLOUT}};
		int timeout = -1;

		if (deadline) {
			long long left = deadline - bclock_now_ms();

			timeout = left > 0 ? (int)left : 0;
		}
		if (exited && out_open)
			timeout = 0; /* drain what is there; a daemonised child may hold stdout forever */
		if (poll(pfd, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
			ssize_t n = write_nosigpipe(in_w, state + written, state_len - written);

			if (n > 0)
				written += (size_t)n;
			if (n < 0 && errno != EAGAIN)
				written = state_len;
			if (written == state_len)
				in_w = berth_close_safe(in_w);
		}
		if (pfd[0].revents) {
			char buf[4096];
			ssize_t n = read(out_r, buf, sizeof(buf));

			if (n > 0)
				keep_tail(tail, &tail_len, buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				out_open = false;
		} else if (exited) {
			out_open = false;
		}
		if (!exited && (pfd[1].revents || pidfd < 0)) {
			pid_t w = waitpid(pid, &status, pidfd < 0 ? 0 : WNOHANG);

			if (w == pid)
				exited = true;
		}
		if (!exited && deadline && bclock_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			exited = true;
			timed_out = true;
		}
	}
	tail[tail_len] = '\0';
	while (tail_len && (tail[tail_len - 1] == '\n' || tail[tail_len - 1] == ' '))
		tail[--tail_len] = '\0';
	if (timed_out)
		return berr_set(e, -ETIMEDOUT, "%s %s timed out after %d s", name, h->path, h->timeout);
	if (WIFSIGNALED(status))
		return berr_set(e, -ECANCELED, "%s %s was killed by signal %d%s%s", name, h->path, WTERMSIG(status),
				tail_len ? ": " : "", tail);
	if (WEXITSTATUS(status) != 0)
		return berr_set(e, -ECANCELED, "%s %s exited with status %d%s%s", name, h->path, WEXITSTATUS(status),
				tail_len ? ": " : "", tail);
	return 0;
}

int rt_hooks_run(const struct rt_hooks *hooks, enum rt_hook_kind k, const char *state_json, struct berr *e)
{
	for (size_t i = 0; i < hooks->n[k]; i++) {
		char name[64];
		int r;

		snprintf(name, sizeof(name), "hooks.%s[%zu]", rt_hook_kind_name(k), i);
		r = run_one(&hooks->list[k][i], name, state_json, e);
		if (r < 0)
			return r;
	}
	return 0;
}
