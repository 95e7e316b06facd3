/* fuzz_cmd.c - admin socket command lines (common/cmdsrv): the input is
 * cut into lines as the socket does (LF, then ';' separates commands) and
 * each is split into words and its first word tried as a level name. The
 * words must lie inside the line, be NUL-terminated, and argc <= max. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdsrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXARGS 64

static void one(char *line, size_t len)
{
    char *argv[MAXARGS + 1];
    int argc = lk_cmd_split(line, argv, MAXARGS), i;

    if (argc == -E2BIG)
        return;
    if (argc < 0 || argc > MAXARGS)
        abort();
    for (i = 0; i < argc; i++)
        if (argv[i] < line || argv[i] + strlen(argv[i]) > line + len)
            abort();
    if (argc > 0)
        lk_cmd_level_parse(argv[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *p, *e;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (p = buf; p <= buf + size && *p;) {
        e = p + strcspn(p, "\n;");
        if (*e) {
            *e = '\0';
            one(p, (size_t)(e - p));
            p = e + 1;
        } else {
            one(p, (size_t)(e - p));
            break;
        }
    }
    free(buf);
    return 0;
}
