/* runtime/process.c: from a set-up container to execve of the user's program. */
#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/caps.h"
#include "runtime/console.h"
#include "runtime/sys.h"
#include "strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* strerror as Go spells it ("no such file or directory"): what engines look for in a runtime's errors */
static const char *go_strerror(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

static int check_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
		return -EACCES;
	return 0;
}

/*
 * The wording is runc's (Go's exec.LookPath), which Docker and containerd
 * match on to report exit status 127 (not found) or 126 (not executable):
 *   exec: "/nope": stat /nope: no such file or directory
 *   exec: "/etc": permission denied
 *   exec: "nope": executable file not found in $PATH
 */
int rt_process_resolve(const struct rt_process *p, char **ret_path, struct berr *e)
{
	const char *name = p->args[0];
	const char *path;
	char err[128];
	int r;

	if (strchr(name, '/')) {
		r = check_exec(name);
		if (r == -EACCES)
			return berr_set(e, r, "exec: \"%s\": permission denied", name);
		if (r < 0)
			return berr_set(e, r, "exec: \"%s\": stat %s: %s", name, name,
					go_strerror(-r, err, sizeof(err)));
		*ret_path = strdup(name);
		return *ret_path ? 0 : berr_oom(e);
	}
	path = strv_env_get(p->env, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	while (*path) {
		const char *end = strchrnul(path, ':');
		char cand[PATH_MAX];
		size_t dl = (size_t)(end - path);

		if (dl == 0)
			snprintf(cand, sizeof(cand), "%s", name);
		else
			snprintf(cand, sizeof(cand), "%.*s/%s", (int)dl, path, name);
		if (check_exec(cand) == 0) {
			*ret_path = strdup(cand);
			return *ret_path ? 0 : berr_oom(e);
		}
		path = *end ? end + 1 : end;
	}
	return berr_set(e, -ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

/* The home directory of uid in the container's /etc/passwd, or "/". */
static void home_of(uint32_t uid, char *buf, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	char line[1024];

	snprintf(buf, len, "/");
	while (f && fgets(line, sizeof(line), f)) {
		char *fields[7] = {0};
		char *s = line;
		int n = 0;

		line[strcspn(line, "\n")] = '\0';
		/* name:passwd:uid:gid:gecos:home:shell, empty fields allowed */
		for (char *tok = strsep(&s, ":"); tok && n < 7; tok = strsep(&s, ":"))
			fields[n++] = tok;
		if (n < 6 || !fields[2] || strtoul(fields[2], NULL, 10) != uid || !*fields[2])
			continue;
		if (fields[5] && fields[5][0] == '/')
			snprintf(buf, len, "%s", fields[5]);
		return;
	}
}

int rt_process_env(const struct rt_process *p, char ***ret_env, struct berr *e)
{
	size_t n = strv_len(p->env);
	char **env = calloc(n + 2, sizeof(char *));
	char home[PATH_MAX];

	if (!env)
		return berr_oom(e);
	memcpy(env, p->env, n * sizeof(char *));
	if (!strv_env_get(p->env, "HOME")) {
		home_of(p->uid, home, sizeof(home));
		if (asprintf(&env[n], "HOME=%s", home) < 0) {
			free(env);
			return berr_oom(e);
		}
	}
	*ret_env = env;
	return 0;
}

void rt_process_reset_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
}

static int set_rlimits(const struct rt_process *p, struct berr *e)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};

		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return berr_errno(e, "'process.rlimits[%zu]'", i);
	}
	return 0;
}

static int set_user(const struct rt_process *p, struct berr *e)
{
	_cleanup_free_ gid_t *gids = calloc(p->n_additional_gids + 1, sizeof(gid_t));

	if (!gids)
		return berr_oom(e);
	for (size_t i = 0; i < p->n_additional_gids; i++)
		gids[i] = p->additional_gids[i];
	if (setgroups(p->n_additional_gids, gids) < 0) {
		/* a user namespace with setgroups denied cannot change groups; nothing to drop then */
		if (errno != EPERM || p->n_additional_gids)
			return berr_errno(e, "setgroups ('process.user.additionalGids')");
	}
	/* keep the permitted set across the uid change; capset sets them exactly afterwards */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berr_errno(e, "prctl(PR_SET_KEEPCAPS)");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return berr_errno(e, "setresgid %u ('process.user.gid')", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return berr_errno(e, "setresuid %u ('process.user.uid')", p->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return berr_errno(e, "prctl(PR_SET_KEEPCAPS)");
	return 0;
}

/*
 * getcwd(2) says "(unreachable)" (or fails with ENOENT) when the cwd lies
 * outside the process's root. Any other failure (a seccomp filter denying
 * getcwd, once loaded) leaves the question open: said as such.
 */
static int verify_cwd(const char *cwd, struct berr *e)
{
	char buf[PATH_MAX];

	if (!getcwd(buf, sizeof(buf))) {
		if (errno != ENOENT)
			return berr_errno(e, "'process.cwd' %s: cannot check that it lies inside the container: getcwd",
					  cwd);
		buf[0] = '\0';
	}
	if (buf[0] != '/')
		return berr_set(e, -EPERM, "'process.cwd' %s is not inside the container", cwd);
	return 0;
}

static int prepare_fds(int preserve, struct berr *e)
{
	/* Marking instead of closing keeps the sync channel until execve itself succeeds. */
	if (rt_sys_close_range((unsigned)(3 + preserve), ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return berr_errno(e, "close_range");
	for (int fd = 3; fd < 3 + preserve; fd++) {
		if (fcntl(fd, F_SETFD, 0) < 0)
			return berr_errno(e, "--preserve-fds: fd %d", fd);
	}
	return 0;
}

int rt_process_exec(const struct rt_proc_final *f, struct berr *e)
{
	const struct rt_process *p = f->p;
	struct rt_caps none = {0};
	bool cwd_done = false;
	char err[128];
	int r;

	if ((r = set_rlimits(p, e)) < 0)
		return r;
	if (setsid() < 0 && errno != EPERM)
		return berr_errno(e, "setsid");
	if (f->console_slave >= 0 && (r = rt_console_attach(f->console_slave, e)) < 0)
		return r;
	/*
	 * First as root, which can enter directories the user cannot; again below as the user if refused.
	 * Checked at once: the seccomp filter, loaded next, may deny getcwd (runtime-tools linux_seccomp).
	 */
	if (chdir(p->cwd) == 0)
		cwd_done = true;
	else if (errno != EACCES)
		return berr_errno(e, "chdir to 'process.cwd' %s", p->cwd);
	if (cwd_done && (r = verify_cwd(p->cwd, e)) < 0)
		return r;
	umask(p->has_umask ? p->umask : 022);
	rt_process_reset_signals();
	if ((r = prepare_fds(f->preserve_fds, e)) < 0)
		return r;
	if ((r = rt_caps_drop_bounding(p->has_caps ? &p->caps : &none, e)) < 0)
		return r;
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which is about to go. */
	if (f->seccomp && !p->no_new_privileges && (r = rt_seccomp_apply(f->seccomp)) < 0)
		return berr_sys(e, r, "load the seccomp filter");
	if ((r = set_user(p, e)) < 0)
		return r;
	if (!cwd_done && chdir(p->cwd) < 0)
		return berr_errno(e, "chdir to 'process.cwd' %s", p->cwd);
	if (!cwd_done && (r = verify_cwd(p->cwd, e)) < 0)
		return r;
	if ((r = rt_caps_apply(p->has_caps ? &p->caps : &none, e)) < 0)
		return r;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berr_errno(e, "set no_new_privs");
	if (f->seccomp && p->no_new_privileges) {
		r = rt_seccomp_apply(f->seccomp);
		if (r < 0)
			return berr_sys(e, r, "load the seccomp filter");
	}
	execve(f->path, p->args, f->env);
	r = errno;
	return berr_set(e, -r, "exec %s: %s", f->path, go_strerror(r, err, sizeof(err)));
}
