/*
 * standalone.c --
 *
 *	A main() for the fuzz targets without libFuzzer: runs
 *	LLVMFuzzerTestOneInput once on each file named on the command line
 *	(a directory: on each file in it), or on standard input when there
 *	is none. This is what AFL++ needs (afl-fuzz -i in -o out -- T @@;
 *	build with FUZZ_ENGINE=standalone CC=afl-clang-fast fuzz/build.sh),
 *	and it replays a corpus or a crash with any compiler.
 */

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

/* Read all of f into a new buffer; its length in *lenPtr. */
static unsigned char *
ReadAll(FILE *f, size_t *lenPtr)
{
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, n;

    do {
	if (len == cap) {
	    unsigned char *p = realloc(buf, cap = cap ? 2 * cap : 4096);

	    if (p == NULL) {
		free(buf);
		return NULL;
	    }
	    buf = p;
	}
	n = fread(buf + len, 1, cap - len, f);
	len += n;
    } while (n > 0);
    *lenPtr = len;
    return buf;
}

static int
RunFile(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    size_t len;

    if (f == NULL) {
	perror(path);
	return 1;
    }
    data = ReadAll(f, &len);
    fclose(f);
    if (data == NULL) {
	fprintf(stderr, "%s: out of memory\n", path);
	return 1;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int
RunPath(const char *path)
{
    struct stat st;
    DIR *dir;
    struct dirent *e;
    int failed = 0;

    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
	return RunFile(path);
    }
    if ((dir = opendir(path)) == NULL) {
	perror(path);
	return 1;
    }
    while ((e = readdir(dir)) != NULL) {
	char sub[4096];

	if (e->d_name[0] == '.') {
	    continue;
	}
	snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
	failed |= RunFile(sub);
    }
    closedir(dir);
    return failed;
}

int
main(int argc, char **argv)
{
    int i, failed = 0;

    if (LLVMFuzzerInitialize) {
	LLVMFuzzerInitialize(&argc, &argv);
    }
#ifdef __AFL_FUZZ_TESTCASE_LEN
    if (argc < 2) {
	/* AFL++'s persistent mode over shared memory. */
	__AFL_INIT();
	unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;

	while (__AFL_LOOP(10000)) {
	    LLVMFuzzerTestOneInput(buf, (size_t) __AFL_FUZZ_TESTCASE_LEN);
	}
	return 0;
    }
#endif
    if (argc < 2) {
	size_t len;
	unsigned char *data = ReadAll(stdin, &len);

	if (data == NULL) {
	    return 1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
    }
    for (i = 1; i < argc; i++) {
	failed |= RunPath(argv[i]);
    }
    return failed;
}
