/*
 * Replays fuzz inputs without libFuzzer: fuzz-replay-NAME FILE-OR-DIR...
 * runs LLVMFuzzerTestOneInput on every file, so `make check` proves that
 * every input that once crashed a parser no longer does.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	char *buf = NULL;
	size_t len = 0;

	if (bfile_read_all(path, 16 * 1024 * 1024, &buf, &len, NULL) < 0) {
		fprintf(stderr, "fuzz-replay: cannot read %s\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	return 0;
}

static int replay(const char *path, int *count)
{
	struct stat st;
	struct dirent **names;
	int n, bad = 0;

	if (stat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	n = scandir(path, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char sub[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			bad |= replay(sub, count);
		}
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0, count = 0;

	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i], &count);
	printf("%s: replayed %d inputs\n", argv[0], count);
	return bad;
}
