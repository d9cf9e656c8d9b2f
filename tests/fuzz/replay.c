/* SPDX-License-Identifier: MIT */
/*
 * replay.c - runs a fuzz harness over files without libFuzzer: the
 * regression step of make check (gcc and ASan builds alike).
 *
 * usage: replay_<harness> FILE|DIR...
 * Every regular file (directories are read one level deep, in name
 * order) is read into a buffer of exactly its size, so that ASan sees any
 * read past the end, and handed to LLVMFuzzerTestOneInput().  Prints TAP,
 * one test per file; a crash or sanitizer report ends the program, which
 * the runner counts as a failure.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned ntest, nfailed;

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;
	size_t n = 0;

	ntest++;
	if (!f || fstat(fileno(f), &st) || !(buf = malloc(st.st_size ? st.st_size : 1)) ||
	    (n = fread(buf, 1, st.st_size, f)) != (size_t)st.st_size) {
		printf("not ok %u - %s: cannot read\n", ntest, path);
		nfailed++;
	} else {
		LLVMFuzzerTestOneInput(buf, n);
		printf("ok %u - %s\n", ntest, path);
	}
	fflush(stdout);
	free(buf);
	if (f)
		fclose(f);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d) {
		printf("not ok %u - %s: cannot open\n", ++ntest, dir);
		nfailed++;
		return;
	}
	while ((de = readdir(d))) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			char **t = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (!t)
				break;
			names = t;
		}
		names[n++] = strdup(path);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		if (names[i])
			run_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	struct stat st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!stat(argv[i], &st) && S_ISDIR(st.st_mode))
			run_dir(argv[i]);
		else
			run_file(argv[i]);
	}
	printf("1..%u\n", ntest);
	return nfailed ? 1 : 0;
}
