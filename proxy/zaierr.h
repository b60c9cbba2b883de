/* zaierr: the Z.AI business-error classifier (PROXY.md §7.2), the `code`
 * metric label (§13.1) and the extra headers of a final upstream error
 * response (§7.4). Pure: no I/O, no clock reads (time is an argument), no
 * global state, safe from any thread. Provider message text is only scanned,
 * never kept. */
#ifndef ZAI_PROXY_ZAIERR_H
#define ZAI_PROXY_ZAIERR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The classifier's input budget: a body of exactly this many bytes is parsed,
 * one byte more is "oversized". */
#define ZAIERR_BODY_MAX 32768

typedef enum zai_class {
    ZAI_UNKNOWN = 0,
    ZAI_CONCURRENCY,        /* 1302 */
    ZAI_FREQUENCY,          /* 1303, 1305 */
    ZAI_QUOTA,              /* 1304, 1308, 1310 */
    ZAI_MODEL_CONGESTION,   /* 1312 */
    ZAI_TERMINAL,           /* 1113, 1309, 1311, 1313 */
    ZAI_CLASS_COUNT
} zai_class;

typedef struct zai_error {
    zai_class cls;
    bool has_code;
    long code;              /* 0..99999999, valid when has_code */
    bool has_reset;
    int64_t reset_at;       /* epoch seconds, within [1e9, 2e10] when has_reset */
    bool has_retry_after;
    double retry_after;     /* R, seconds, in (0, 604800] when has_retry_after */
} zai_error;

/* Classifies the first bytes of an error body (or the data of a first SSE
 * event). `oversized` says more than ZAIERR_BODY_MAX bytes arrived; a len
 * above the budget counts as oversized too. Always fills *out. */
void zaierr_classify(const void *body, size_t len, bool oversized, zai_error *out);

/* "concurrency", "frequency", "quota", "model_congestion", "terminal",
 * "unknown" (the metric label vocabulary). */
const char *zaierr_class_name(zai_class c);
zai_class zaierr_class_of_code(long code);
/* The codes a message prefix may carry (§7.2 rule 4c). */
bool zaierr_is_known_code(long code);

/* The `code` label: the code in decimal when it is 1000..1999, "other" for
 * any other code, "none" without one. out must hold 8 bytes. */
void zaierr_code_label(const zai_error *e, char out[8]);

#define ZAIERR_MAX_HEADERS 4

typedef struct zaierr_header {
    const char *name;       /* static string */
    char value[40];
} zaierr_header;

/* The headers §7.4 adds to a final upstream error response with HTTP
 * `status`: X-Zai-Error-Class, X-Zai-Error-Code, X-Zai-Rate-Limit-Reset and a
 * derived Retry-After (only when the upstream sent none, which the caller
 * relays untouched). Returns how many entries of out were filled. */
size_t zaierr_final_headers(int status, const zai_error *e, bool upstream_has_retry_after,
                            int64_t now_wall_ns, zaierr_header out[ZAIERR_MAX_HEADERS]);

#endif
