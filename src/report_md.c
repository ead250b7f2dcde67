/* report_md.c — the cells of summary.md's Markdown tables: text made safe for a cell, numbers
 * and durations, and "mean ± std" over seeds.  Used by report_summary*.c. */
#include "report.h"

#include <math.h>
#include <stdio.h>

/* Markdown table cell text: '|' would end the cell, a newline the row. */
void report_md_cell(FILE *f, const char *s)
{
    fputs("| ", f);
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", f);
        else if (*s == '\n' || *s == '\r') fputc(' ', f);
        else fputc(*s, f);
    }
    fputc(' ', f);
}

void report_md_cellf(FILE *f, const char *fmt, double v)
{
    char buf[64];
    if (isnan(v)) snprintf(buf, sizeof buf, "—");
    else snprintf(buf, sizeof buf, fmt, v);
    report_md_cell(f, buf);
}

void report_md_duration(double s, char *buf, size_t n)
{
    if (!isfinite(s)) snprintf(buf, n, "—");
    else if (s < 10) snprintf(buf, n, "%.2f s", s);
    else if (s < 60) snprintf(buf, n, "%.1f s", s);
    else if (s < 3600) snprintf(buf, n, "%dm %02ds", (int)(s / 60), (int)fmod(s, 60));
    else snprintf(buf, n, "%dh %02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* "mean ± std" (formats mean_fmt, std_fmt), "mean" alone for one value, "—" for none. */
void report_md_stat(FILE *f, const char *fmt, const char *std_fmt, const double *v,
                    size_t n)
{
    double mean, sd;
    size_t k = report_mean_std(v, n, &mean, &sd);
    char a[64], b[64], cell[160];
    if (k == 0) {
        report_md_cell(f, "—");
        return;
    }
    snprintf(a, sizeof a, fmt, mean);
    if (k == 1) {
        report_md_cell(f, a);
        return;
    }
    snprintf(b, sizeof b, std_fmt, sd);
    snprintf(cell, sizeof cell, "%s ± %s", a, b);
    report_md_cell(f, cell);
}

void report_md_duration_stat(FILE *f, const double *v, size_t n)
{
    double mean, sd;
    size_t k = report_mean_std(v, n, &mean, &sd);
    char a[64], b[64], cell[160];
    report_md_duration(k ? mean : NAN, a, sizeof a);
    if (k < 2) {
        report_md_cell(f, a);
        return;
    }
    report_md_duration(sd, b, sizeof b);
    snprintf(cell, sizeof cell, "%s ± %s", a, b);
    report_md_cell(f, cell);
}
