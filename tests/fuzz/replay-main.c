/* replay-main: runs a libFuzzer target over corpus files without libFuzzer (make test's regression
 * pass). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!buf || got != (size_t)n) {
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 0;
}

static int replay(const char *path, unsigned *count) {
    struct stat st;
    if (stat(path, &st) < 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return replay_file(path);
    }
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int r = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        if (replay(child, count) < 0)
            r = -1;
    }
    closedir(d);
    return r;
}

int main(int argc, char **argv) {
    unsigned count = 0;
    int r = 0;
    for (int i = 1; i < argc; i++)
        if (replay(argv[i], &count) < 0)
            r = -1;
    /* An empty input is always worth one run too. */
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    fprintf(stderr, "%s: replayed %u inputs\n", argv[0], count);
    return r < 0 || count == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
