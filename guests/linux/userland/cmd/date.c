/*
 * date [-u] - print the time of day from clock_gettime(CLOCK_REALTIME) in
 * UTC (there are no time zones here), as `date -u` does:
 * "Thu Jan  1 00:00:05 UTC 2026".  The kernel sets the clock at boot from the
 * RTC (CONFIG_RTC_HCTOSYS: the board's Goldfish RTC).
 */
#include "u.h"

#define CLOCK_REALTIME 0

static int leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int main(int argc, char **argv)
{
    static const char wdays[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "-u") != 0)) {
        eprintf("usage: date [-u]\n");
        return 2;
    }
    struct timespec64 ts;
    long r = sys_clock_gettime(CLOCK_REALTIME, &ts);
    if (r < 0)
        die_err("clock_gettime", r);
    if (ts.tv_sec < 0) {
        eprintf("date: the clock is before 1970\n");
        return 1;
    }
    s64 days = ts.tv_sec / 86400;
    long secs = (long)(ts.tv_sec % 86400);
    int wday = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
    long year = 1970;
    while (days >= 365 + leap(year)) {
        days -= 365 + leap(year);
        year++;
    }
    int month = 0;
    while (days >= mdays[month] + (month == 1 && leap(year))) {
        days -= mdays[month] + (month == 1 && leap(year));
        month++;
    }
    printf("%.3s %.3s %2d %02ld:%02ld:%02ld UTC %ld\n", wdays + 3 * wday, months + 3 * month, (int)days + 1,
           secs / 3600, secs / 60 % 60, secs % 60, year);
    return 0;
}
