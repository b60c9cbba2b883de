/* procstat: the standard process_* metric families read from /proc/self at
 * scrape time (PROXY.md §13.5), without labels. */
#ifndef ZAI_PROCSTAT_H
#define ZAI_PROCSTAT_H

#include "strbuf.h"

/* Appends process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds and
 * process_start_time_seconds with HELP/TYPE. Values it cannot read are
 * skipped (the family is still declared). */
void procstat_write(strbuf *out);
/* Resident set size in bytes, or -1. */
long long procstat_rss_bytes(void);

#endif
