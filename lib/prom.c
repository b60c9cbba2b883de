/* prom: Prometheus text exposition 0.0.4 (STACK.md §7) and a lock-free
 * histogram for hot paths. Numbers go through fmt_double, so a bucket bound
 * is spelled identically on every scrape; counts are written as integers.
 *
 * prom_hist uses the GCC/Clang __atomic builtins (relaxed) on the plain
 * integer fields of the public struct: the same operations <stdatomic.h>
 * performs, without requiring _Atomic-qualified types in the header. */
#include "prom.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest |observation| whose micro-units fit comfortably in an int64. */
#define PROM_HIST_MAX_ABS 9.0e12

static const char *const type_names[] = {"counter", "gauge", "histogram"};

/* Writes s escaping '\\' and '\n', plus '"' when in a label value. */
static void put_escaped(strbuf *out, const char *s, bool label)
{
    size_t run = 0, i = 0;
    for (; s[i]; i++) {
        char c = s[i];
        if (c != '\\' && c != '\n' && !(label && c == '"'))
            continue;
        strbuf_append(out, s + run, i - run);
        run = i + 1;
        strbuf_append(out, c == '\\' ? "\\\\" : c == '\n' ? "\\n" : "\\\"", 2);
    }
    strbuf_append(out, s + run, i - run);
}

void prom_family(strbuf *out, const char *name, prom_type type, const char *help)
{
    strbuf_puts(out, "# HELP ");
    strbuf_puts(out, name);
    strbuf_putc(out, ' ');
    put_escaped(out, help ? help : "", false);
    strbuf_puts(out, "\n# TYPE ");
    strbuf_puts(out, name);
    strbuf_putc(out, ' ');
    strbuf_puts(out, type_names[type]);
    strbuf_putc(out, '\n');
}

/* name+suffix{labels[,le="…"]} — the part of a sample before the value. */
static void put_series(strbuf *out, const char *name, const char *suffix, const prom_label *labels,
                       size_t nlabels, const char *le)
{
    strbuf_puts(out, name);
    strbuf_puts(out, suffix);
    if (nlabels == 0 && !le)
        return;
    strbuf_putc(out, '{');
    for (size_t i = 0; i < nlabels; i++) {
        if (i)
            strbuf_putc(out, ',');
        strbuf_puts(out, labels[i].name);
        strbuf_puts(out, "=\"");
        put_escaped(out, labels[i].value ? labels[i].value : "", true);
        strbuf_putc(out, '"');
    }
    if (le) {
        strbuf_puts(out, nlabels ? ",le=\"" : "le=\"");
        strbuf_puts(out, le);
        strbuf_putc(out, '"');
    }
    strbuf_putc(out, '}');
}

void prom_sample(strbuf *out, const char *name, const prom_label *labels, size_t nlabels,
                 double value)
{
    put_series(out, name, "", labels, nlabels, NULL);
    strbuf_putc(out, ' ');
    strbuf_double(out, value);
    strbuf_putc(out, '\n');
}

void prom_histogram(strbuf *out, const char *name, const prom_label *labels, size_t nlabels,
                    const double *bounds, size_t nbounds, const uint64_t *counts, double sum)
{
    uint64_t cum = 0;
    char le[32];
    for (size_t i = 0; i <= nbounds; i++) {
        cum += counts[i];
        if (i < nbounds)
            fmt_double(bounds[i], le, sizeof le);
        put_series(out, name, "_bucket", labels, nlabels, i < nbounds ? le : "+Inf");
        strbuf_printf(out, " %" PRIu64 "\n", cum);
    }
    put_series(out, name, "_sum", labels, nlabels, NULL);
    strbuf_putc(out, ' ');
    strbuf_double(out, sum);
    strbuf_putc(out, '\n');
    put_series(out, name, "_count", labels, nlabels, NULL);
    strbuf_printf(out, " %" PRIu64 "\n", cum);
}

int prom_hist_init(prom_hist *h, const double *bounds, size_t nbounds)
{
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < nbounds; i++) {
        if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
            return -EINVAL;
    }
    h->counts = calloc(nbounds + 1, sizeof *h->counts);
    if (!h->counts)
        return -ENOMEM;
    h->bounds = bounds;
    h->nbounds = nbounds;
    return 0;
}

void prom_hist_free(prom_hist *h)
{
    free(h->counts);
    memset(h, 0, sizeof *h);
}

/* Non-finite observations are dropped: they have no bucket-and-sum meaning
 * for the durations and sizes observed here. The sum is rounded to 1e-6 per
 * observation and each observation is clamped to ±9e12, so an int64 sum
 * holds at least a million maximal observations. */
void prom_hist_observe(prom_hist *h, double v)
{
    if (!isfinite(v))
        return;
    size_t lo = 0, hi = h->nbounds; /* first bound >= v; nbounds = +Inf */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v <= h->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    __atomic_fetch_add(&h->counts[lo], 1, __ATOMIC_RELAXED);
    double c = fmin(fmax(v, -PROM_HIST_MAX_ABS), PROM_HIST_MAX_ABS);
    __atomic_fetch_add(&h->sum_micro, (int64_t)llround(c * 1e6), __ATOMIC_RELAXED);
}

void prom_hist_write(strbuf *out, const char *name, const prom_label *labels, size_t nlabels,
                     const prom_hist *h)
{
    uint64_t small[64];
    uint64_t *snap = small;
    if (h->nbounds + 1 > sizeof small / sizeof small[0]) {
        snap = malloc((h->nbounds + 1) * sizeof *snap);
        if (!snap) {
            out->failed = true;
            return;
        }
    }
    for (size_t i = 0; i <= h->nbounds; i++)
        snap[i] = __atomic_load_n(&h->counts[i], __ATOMIC_RELAXED);
    double sum = (double)__atomic_load_n(&h->sum_micro, __ATOMIC_RELAXED) / 1e6;
    prom_histogram(out, name, labels, nlabels, h->bounds, h->nbounds, snap, sum);
    if (snap != small)
        free(snap);
}
