/* procstat: the standard process_* families (PROXY.md §13.5), read from
 * /proc at scrape time with the same sources and HELP texts as the Go
 * client's process collector, so dashboards built for it work unchanged. */
#include "procstat.h"

#include "prom.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct proc_stat {
    double cpu_seconds;
    double vsize;
    double rss;
    double start_ticks;
} proc_stat;

static bool read_file(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t got = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[got] = '\0';
    return got > 0;
}

/* /proc/self/stat: fields after the parenthesised command name (which may
 * itself contain spaces and parentheses) start at field 3, "state". */
static bool read_stat(proc_stat *st)
{
    char buf[1024];
    if (!read_file("/proc/self/stat", buf, sizeof buf))
        return false;
    char *p = strrchr(buf, ')');
    if (!p)
        return false;
    unsigned long long utime, stime, start, vsize;
    long long rss;
    int n = sscanf(p + 1,
                   "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s " /* fields 3..13 */
                   "%llu %llu %*s %*s %*s %*s %*s %*s %llu %llu %lld",
                   &utime, &stime, &start, &vsize, &rss);
    if (n != 5)
        return false;
    double tck = (double)sysconf(_SC_CLK_TCK);
    if (tck <= 0)
        return false;
    st->cpu_seconds = (double)(utime + stime) / tck;
    st->start_ticks = (double)start / tck;
    st->vsize = (double)vsize;
    st->rss = (double)rss * (double)sysconf(_SC_PAGESIZE);
    return true;
}

/* System boot time (Unix seconds) from the "btime" line of /proc/stat. */
static bool read_btime(double *out)
{
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return false;
    char line[256];
    bool ok = false;
    while (!ok && fgets(line, sizeof line, f)) {
        unsigned long long bt;
        if (sscanf(line, "btime %llu", &bt) == 1) {
            *out = (double)bt;
            ok = true;
        }
    }
    fclose(f);
    return ok;
}

/* Open descriptors, not counting the one used to list them. */
static bool count_fds(double *out)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return false;
    int self = dirfd(d);
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (atoi(de->d_name) != self)
            n++;
    }
    closedir(d);
    *out = (double)n;
    return true;
}

static void family(strbuf *out, const char *name, prom_type type, const char *help, bool ok,
                   double v)
{
    prom_family(out, name, type, help);
    if (ok)
        prom_sample(out, name, NULL, 0, v);
}

void procstat_write(strbuf *out)
{
    proc_stat st;
    bool have_stat = read_stat(&st);
    double btime = 0, fds = 0, max_fds = 0;
    bool have_btime = have_stat && read_btime(&btime);
    bool have_fds = count_fds(&fds);
    struct rlimit rl;
    bool have_max = getrlimit(RLIMIT_NOFILE, &rl) == 0;
    if (have_max)
        max_fds = rl.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19 : (double)rl.rlim_cur;

    family(out, "process_cpu_seconds_total", PROM_COUNTER,
           "Total user and system CPU time spent in seconds.", have_stat, st.cpu_seconds);
    family(out, "process_open_fds", PROM_GAUGE, "Number of open file descriptors.", have_fds, fds);
    family(out, "process_max_fds", PROM_GAUGE, "Maximum number of open file descriptors.", have_max,
           max_fds);
    family(out, "process_virtual_memory_bytes", PROM_GAUGE, "Virtual memory size in bytes.",
           have_stat, st.vsize);
    family(out, "process_resident_memory_bytes", PROM_GAUGE, "Resident memory size in bytes.",
           have_stat, st.rss);
    family(out, "process_start_time_seconds", PROM_GAUGE,
           "Start time of the process since unix epoch in seconds.", have_btime,
           btime + st.start_ticks);
}

long long procstat_rss_bytes(void)
{
    char buf[128];
    unsigned long long size, resident;
    if (!read_file("/proc/self/statm", buf, sizeof buf) ||
        sscanf(buf, "%llu %llu", &size, &resident) != 2)
        return -1;
    return (long long)resident * sysconf(_SC_PAGESIZE);
}
