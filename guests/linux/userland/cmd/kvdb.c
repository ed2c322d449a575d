/*
 * kvdb - a small transactional key-value store with a write-ahead log on a raw block device.
 *
 *   kvdb [-d DEVICE] init          start a new, empty log (a new run id)
 *   kvdb [-d DEVICE] put N [-q]    N transactions, each committed with fdatasync; prints
 *                                  "ack S" once transaction S is durable (unless -q)
 *   kvdb [-d DEVICE] check         recover: replay the log, check every record, print the state
 *
 * The device (default /dev/vda) is a log of 512-byte sectors. Sector 0 holds the superblock
 * {magic "KVDB", version, run id}; sector S (S >= 1) holds transaction S: {magic "KVRL", run id,
 * seq S, key, value length, value, CRC-32 of header and value; the rest of the sector is zero}. A transaction sets key = S mod 64 to a
 * value derived from S, so recovery can check every value it replays.
 *
 * Commit protocol: write the record, fdatasync (the kernel sends the disk a FLUSH), and only
 * then acknowledge. Recovery scans from sector 1 and stops at the first sector that is not the
 * next record of this run (a torn or never-written tail); a record before that point that fails
 * its checks is corrupt. `put` continues after the last recovered transaction, so a crashed run
 * can be resumed. Used by the RapiLog crash tests and benchmark (test/rapilog.test.ts).
 */
#include "u.h"

#define SECTOR 512
#define SUPER_MAGIC 0x4244564bu  /* "KVDB" */
#define RECORD_MAGIC 0x4c52564bu /* "KVRL" */
#define KEYS 64
#define VALUE_MAX 460

struct super {
    u32 magic, version, run;
    u8 pad[SECTOR - 12];
};

struct record {
    u32 magic, run, seq, key, len;
    u8 value[VALUE_MAX];
    u8 pad[SECTOR - 20 - VALUE_MAX - 4];
    u32 crc;
};

static u32 crc_table[256];

static u32 crc32(const void *data, unsigned n)
{
    if (!crc_table[1])
        for (u32 i = 0; i < 256; i++) {
            u32 c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
    u32 c = 0xffffffffu;
    const u8 *p = data;
    for (unsigned i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 255] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* The value transaction `seq` writes: its length and bytes. */
static unsigned value_of(u32 seq, u8 *out)
{
    unsigned len = 16 + seq % 400;
    for (unsigned i = 0; i < len; i++)
        out[i] = (u8)(seq * 31 + i * 7);
    return len;
}

static int fd;
static const char *device = "/dev/vda";

static void read_sector(u32 sector, void *buf)
{
    long r = sys_pread(fd, buf, SECTOR, (s64)sector * SECTOR);
    if (r != SECTOR)
        die_err("read", r < 0 ? r : -5);
}

static void write_sector(u32 sector, const void *buf)
{
    long r = sys_pwrite(fd, buf, SECTOR, (s64)sector * SECTOR);
    if (r != SECTOR)
        die_err("write", r < 0 ? r : -5);
}

/* The device's size in sectors (the log cannot grow past it). */
static s64 size_sectors(void)
{
    s64 end;
    long r = sys_llseek(fd, 0, &end, 2 /* SEEK_END */);
    if (r < 0)
        die_err("llseek", r);
    return end >> 9; /* SECTOR */
}

/* O_DIRECT needs buffers aligned to the logical block size. */
static struct super sb __attribute__((aligned(SECTOR)));
static struct record rec __attribute__((aligned(SECTOR)));

/* The record's checksum: its header and value. */
static u32 record_crc(const struct record *r)
{
    return crc32(r, 20 + (r->len <= VALUE_MAX ? r->len : VALUE_MAX));
}

/* Recovery reads the log this many sectors at a time. */
#define BATCH 64
static struct record batch[BATCH] __attribute__((aligned(SECTOR)));

/* Replay the log: the last good sequence number; keys and corruption counted. */
static u32 recover(unsigned *keys, unsigned *corrupt)
{
    static u8 seen[KEYS];
    static u8 expect[VALUE_MAX];
    memset(seen, 0, sizeof seen);
    *corrupt = 0;
    u32 seq = 0;
    u32 total = (u32)(size_sectors() > 0xffffffffu ? 0xffffffffu : size_sectors());
    for (;;) {
        u32 first = seq + 1; /* the batch starts at the next record's sector */
        if (first >= total)
            break;
        u32 n = total - first < BATCH ? total - first : BATCH;
        long r = sys_pread(fd, batch, n * SECTOR, (s64)first * SECTOR);
        if (r < SECTOR)
            die_err("read", r < 0 ? r : -5);
        n = (u32)r / SECTOR;
        for (u32 i = 0; i < n; i++) {
            const struct record *x = &batch[i];
            if (x->magic != RECORD_MAGIC || x->run != sb.run || x->seq != seq + 1)
                goto end; /* the end of this run's log */
            if (x->crc != record_crc(x) || x->key != x->seq % KEYS ||
                x->len != value_of(x->seq, expect) || memcmp(x->value, expect, x->len) != 0) {
                (*corrupt)++;
                goto end;
            }
            seen[x->key] = 1;
            seq++;
        }
    }
end:
    *keys = 0;
    for (int k = 0; k < KEYS; k++)
        *keys += seen[k];
    return seq;
}

int main(int argc, char **argv)
{
    int a = 1;
    if (a + 1 < argc && strcmp(argv[a], "-d") == 0) {
        device = argv[a + 1];
        a += 2;
    }
    if (a >= argc)
        goto usage;
    const char *cmd = argv[a++];
    /* O_DIRECT: each record goes to the disk as one 512-byte request, no page cache in between
     * (the commit's cost is the disk's, which is what the RapiLog benchmark compares). */
    long r = sys_open(device, O_RDWR | O_DIRECT, 0);
    if (r < 0)
        die_err(device, r);
    fd = (int)r;

    if (strcmp(cmd, "init") == 0) {
        read_sector(0, &sb);
        u32 run = sb.magic == SUPER_MAGIC ? sb.run + 1 : 1;
        memset(&sb, 0, sizeof sb);
        sb.magic = SUPER_MAGIC;
        sb.version = 1;
        sb.run = run;
        write_sector(0, &sb);
        memset(&rec, 0, sizeof rec);
        write_sector(1, &rec);
        r = sys_fdatasync(fd);
        if (r < 0)
            die_err("fdatasync", r);
        printf("kvdb: new log, run %u\n", (unsigned)run);
        return 0;
    }

    read_sector(0, &sb);
    if (sb.magic != SUPER_MAGIC) {
        eprintf("kvdb: %s has no log (run `kvdb init`)\n", device);
        return 1;
    }
    unsigned keys, corrupt;
    u32 last = recover(&keys, &corrupt);

    if (strcmp(cmd, "check") == 0) {
        printf("kvdb: recovered %u transactions, %u keys, %u corrupt\n", (unsigned)last, keys, corrupt);
        return corrupt ? 1 : 0;
    }
    if (strcmp(cmd, "put") == 0 && a < argc) {
        unsigned n;
        if (parse_uint(argv[a], &n) < 0)
            goto usage;
        int quiet = a + 1 < argc && strcmp(argv[a + 1], "-q") == 0;
        s64 room = size_sectors() - 1 - last; /* sector 0 is the superblock */
        if ((s64)n > room) {
            eprintf("kvdb: the log is full: room for %u more transactions on %s\n", (unsigned)(room > 0 ? room : 0), device);
            return 1;
        }
        for (u32 seq = last + 1; seq <= last + n; seq++) {
            memset(&rec, 0, sizeof rec);
            rec.magic = RECORD_MAGIC;
            rec.run = sb.run;
            rec.seq = seq;
            rec.key = seq % KEYS;
            rec.len = value_of(seq, rec.value);
            rec.crc = record_crc(&rec);
            write_sector(seq, &rec);
            r = sys_fdatasync(fd); /* the commit */
            if (r < 0)
                die_err("fdatasync", r);
            if (!quiet)
                printf("ack %u\n", (unsigned)seq);
        }
        printf("kvdb: %u commits, last %u\n", n, (unsigned)(last + n));
        return 0;
    }
usage:
    eprintf("usage: kvdb [-d DEVICE] init | put N [-q] | check\n");
    return 2;
}
