/* main: zai-proxy's command line (PROXY.md §1.1): `run` (default),
 * `check-config` and `version`. Exit codes: 0 normal, 2 configuration
 * error, 1 any other fatal start-up error. */
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "envcfg.h"
#include "server.h"
#include "strbuf.h"

#ifndef ZAI_VERSION
#define ZAI_VERSION ""
#endif
#ifndef ZAI_COMMIT
#define ZAI_COMMIT ""
#endif
#ifndef ZAI_BUILD_TIME
#define ZAI_BUILD_TIME ""
#endif

static int load(proxy_config *c)
{
    envcfg e;
    envcfg_init(&e, NULL, NULL);
    if (!config_load(c, &e, ZAI_VERSION, ZAI_COMMIT, ZAI_BUILD_TIME)) {
        fprintf(stderr, "%s\n", e.err);
        config_free(c);
        return 2;
    }
    return 0;
}

static int check_config(void)
{
    proxy_config c;
    int rc = load(&c);
    if (rc != 0)
        return rc;
    strbuf out = STRBUF_INIT;
    config_describe(&c, &out);
    fputs(out.data ? out.data : "", stdout);
    printf("configuration ok\n");
    strbuf_free(&out);
    config_free(&c);
    return 0;
}

static int version(void)
{
    proxy_config c;
    int rc = load(&c);
    if (rc != 0)
        return rc;
    printf("zai-proxy %s (commit %s, built %s)\n", c.version, c.commit, c.build_time);
    config_free(&c);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "run";
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return version();
    if (strcmp(cmd, "check-config") == 0)
        return check_config();
    if (strcmp(cmd, "run") != 0) {
        fprintf(stderr, "usage: zai-proxy [run|check-config|version]\n");
        return 2;
    }
    proxy_config c;
    int rc = load(&c);
    if (rc != 0)
        return rc;
    rc = server_run(&c);
    config_free(&c);
    return rc;
}
