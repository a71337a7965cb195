/* runtime/selfprot.c: re-exec from a copy of /proc/self/exe the container cannot write (selfprot.h). */
#include "runtime/selfprot.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/sys.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define LOOP_GUARD "_BERTH_SEALED_REEXEC"
#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

extern char **environ;

/*
 * Protected: a memfd with every write seal, or (having been re-executed by
 * berth, which sets LOOP_GUARD) a file on a read-only overlayfs. The marker
 * is consumed so nothing berth starts inherits it.
 */
bool rt_selfprot_sealed(void)
{
	static int sealed = -1;
	_cleanup_close_ int fd = -1;
	struct statfs sfs;
	int seals;

	if (sealed >= 0)
		return sealed;
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS)
		sealed = 1;
	else
		sealed = getenv(LOOP_GUARD) && fstatfs(fd, &sfs) == 0 && sfs.f_type == OVERLAYFS_SUPER_MAGIC &&
			 (sfs.f_flags & ST_RDONLY);
	if (sealed)
		unsetenv(LOOP_GUARD);
	return sealed;
}

/*
 * How much of the binary execve needs: the ELF and program headers and
 * every segment, not the debug sections and section table that follow
 * (a third of the copy). The whole file under the sanitizers, whose
 * reports symbolize from the running image.
 */
static off_t loaded_size(int fd, off_t size)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)fd;
	return size;
#else
	Elf64_Ehdr eh;
	off_t end;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64)
		return size;
	end = (off_t)(eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr));
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) != (ssize_t)sizeof(ph))
			return size;
		if ((off_t)(ph.p_offset + ph.p_filesz) > end)
			end = (off_t)(ph.p_offset + ph.p_filesz);
	}
	return end > 0 && end <= size ? end : size;
#endif
}

/* "\\" and ":" separate overlayfs layers: escape them in a layer path. */
static int escape_layer(const char *path, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = path; *p; p++) {
		if (n + 3 > len)
			return -ENAMETOOLONG;
		if (*p == '\\' || *p == ':')
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n] = '\0';
	return 0;
}

/*
 * An O_PATH fd of the running binary seen through a private, read-only,
 * lower-only overlayfs (runc 1.2's protection): no copy, and unlike a
 * read-only bind mount it cannot be "unwrapped": even a writable clone of
 * this mount has no upper layer to write to. The mount is never attached
 * anywhere; it lives as long as something executes or holds the file.
 * Overlayfs wants two lower layers without an upper one: the binary's
 * directory on top, the state root (an unrelated directory berth owns)
 * below it. *ret_mnt is the fsmount fd: closing its last copy dissolves the
 * detached mount tree, which waits for an RCU grace period (0.1-1 ms), so
 * callers hand it to a process nobody waits for. Any failure returns
 * -errno and the caller copies instead.
 */
static int overlay_exe(int self, const char *dummy, int *ret_mnt)
{
	_cleanup_close_ int fc = -1, mnt = -1;
	char exe[PATH_MAX], root[PATH_MAX], layers[2 * PATH_MAX + 8], esc[2 * PATH_MAX];
	struct stat a, b;
	char *slash;
	ssize_t n;
	int fd;

	/* a --root given relative to the working directory */
	if (!dummy || !realpath(dummy, root))
		return -EINVAL;
	dummy = root;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
		return -ENAMETOOLONG;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (exe[0] != '/' || !slash || slash == exe || !slash[1] || strstr(exe, " (deleted)"))
		return -ENOENT;
	*slash = '\0';
	if (escape_layer(exe, esc, sizeof(esc)) < 0)
		return -ENAMETOOLONG;
	snprintf(layers, sizeof(layers), "%s:", esc);
	if (escape_layer(dummy, esc, sizeof(esc)) < 0 || strlen(layers) + strlen(esc) >= sizeof(layers))
		return -ENAMETOOLONG;
	strcat(layers, esc);
	fc = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fc < 0)
		return -errno;
	if (fsconfig(fc, FSCONFIG_SET_STRING, "lowerdir", layers, 0) < 0)
		return -errno;
	/* xino would remap the inode number checked below (and logs noise when layers differ in st_dev) */
	(void)fsconfig(fc, FSCONFIG_SET_STRING, "xino", "off", 0);
	if (fsconfig(fc, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	mnt = fsmount(fc, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
	if (mnt < 0)
		return -errno;
	fd = openat(mnt, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* the file found by name must still be the one running (not replaced meanwhile) */
	if (fstat(self, &a) < 0 || fstat(fd, &b) < 0 || a.st_ino != b.st_ino || a.st_size != b.st_size ||
	    !S_ISREG(b.st_mode)) {
		close(fd);
		return -ESTALE;
	}
	*ret_mnt = TAKE_FD(mnt);
	return fd;
}

static int memfd_copy(int self, struct berr *e)
{
	_cleanup_close_ int mfd = -1;
	struct stat st;
	off_t left;

	if (fstat(self, &st) < 0)
		return berr_errno(e, "stat /proc/self/exe");
	mfd = rt_sys_memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = rt_sys_memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return berr_errno(e, "memfd_create");
	for (left = loaded_size(self, st.st_size); left > 0;) {
		ssize_t n = sendfile(mfd, self, NULL, (size_t)left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berr_errno(e, "copy berth into a memfd");
		left -= n;
	}
	if (fcntl(mfd, F_ADD_SEALS, REQUIRED_SEALS | F_SEAL_EXEC) < 0 && fcntl(mfd, F_ADD_SEALS, REQUIRED_SEALS) < 0)
		return berr_errno(e, "seal the memfd copy of berth");
	return TAKE_FD(mfd);
}

/* The view made ahead of the re-exec (rt_selfprot_prepare), and its mount fd (overlay only). */
static int prepared_exe = -1, prepared_mnt = -1;

void rt_selfprot_prepare(const char *state_root)
{
	_cleanup_close_ int self = -1;

	if (prepared_exe >= 0 || rt_selfprot_sealed())
		return;
	self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self >= 0)
		prepared_exe = overlay_exe(self, state_root, &prepared_mnt);
	if (prepared_exe < 0)
		prepared_exe = prepared_mnt = -1;
}

int rt_selfprot_mount_fd(void)
{
	return prepared_mnt;
}

void rt_selfprot_drop_mount(void)
{
	prepared_mnt = berth_close_safe(prepared_mnt);
}

int rt_selfprot_reexec_prepare(const char *state_root, struct berr *e)
{
	_cleanup_close_ int self = -1;

	if (rt_selfprot_sealed())
		return 0;
	if (getenv(LOOP_GUARD))
		return berr_set(e, -ELOOP,
				"re-executed from a protected copy of berth, but it does not look protected");
	rt_selfprot_prepare(state_root);
	if (prepared_exe < 0) {
		self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return berr_errno(e, "open /proc/self/exe");
		prepared_exe = memfd_copy(self, e);
		if (prepared_exe < 0)
			return prepared_exe;
	}
	if (setenv(LOOP_GUARD, "1", 1) < 0)
		return berr_oom(e);
	return 1;
}

int rt_selfprot_reexec_now(char **argv, struct berr *e)
{
	int err;

	rt_sys_execveat(prepared_exe, "", argv, environ, AT_EMPTY_PATH);
	err = errno;
	unsetenv(LOOP_GUARD);
	return berr_sys(e, -err, "re-exec berth from its protected copy");
}

int rt_selfprot_reexec(char **argv, const char *state_root, struct berr *e)
{
	int r = rt_selfprot_reexec_prepare(state_root, e);

	if (r <= 0)
		return r;
	/* nobody to hand the mount to: its grace period is paid here */
	rt_selfprot_drop_mount();
	return rt_selfprot_reexec_now(argv, e);
}
