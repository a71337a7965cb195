/* runtime/selfprot.c: re-exec from a sealed memfd copy of /proc/self/exe. */
#include "runtime/selfprot.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/sys.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define LOOP_GUARD "_BERTH_SEALED_REEXEC"

extern char **environ;

bool rt_selfprot_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS;
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

int rt_selfprot_reexec(char **argv, struct berr *e)
{
	_cleanup_close_ int self = -1, mfd = -1;
	struct stat st;
	off_t left;

	if (rt_selfprot_sealed()) {
		unsetenv(LOOP_GUARD);
		return 0;
	}
	if (getenv(LOOP_GUARD))
		return berr_set(e, -ELOOP, "re-executed from a sealed copy of berth, but it does not look sealed");
	self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return berr_errno(e, "open /proc/self/exe");
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
	setenv(LOOP_GUARD, "1", 1);
	rt_sys_execveat(mfd, "", argv, environ, AT_EMPTY_PATH);
	unsetenv(LOOP_GUARD);
	return berr_errno(e, "re-exec berth from its sealed copy");
}
