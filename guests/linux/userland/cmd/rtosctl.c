/*
 * rtosctl - talk to the RTOS partition over its IPC channel.
 *
 *   rtosctl [-c CHANNEL] ping N | stats | tasks | add A B | reset
 *
 * The channel appears to Linux as a UIO device (the stock uio_pdrv_genirq driver, bound to the
 * device tree's "wasmvisor,channel" nodes): /sys/class/uio/uioN/name is the channel's name
 * (default "rtos"), map 0 is the shared region holding the mailbox (guests/sdk/rtos-protocol.h),
 * map 1 the doorbell page. A request: fill the mailbox, bump request_seq, re-enable the UIO
 * interrupt (write 1 to the device), ring the doorbell; then read() the device, which blocks
 * until the RTOS notifies back (the channel interrupt), and check reply_seq.
 */
#include "u.h"
#include "../../../sdk/rtos-protocol.h"

static char *read_small(const char *path)
{
    char *text = 0;
    long n = read_file(path, &text);
    if (n < 0)
        return 0;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = 0;
    return text;
}

/* The uio number whose name is `channel`, or -1. */
static int find_uio(const char *channel)
{
    char path[96];
    for (int i = 0; i < 16; i++) {
        snprintf(path, sizeof path, "/sys/class/uio/uio%d/name", i);
        char *name = read_small(path);
        if (name && strcmp(name, channel) == 0)
            return i;
    }
    return -1;
}

static unsigned map_size(int uio, int map)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/class/uio/uio%d/maps/map%d/size", uio, map);
    char *text = read_small(path);
    unsigned v = 0;
    if (!text)
        return 0;
    /* "0x00001000" */
    for (const char *p = text + 2; *p; p++)
        v = v * 16 + (unsigned)(*p <= '9' ? *p - '0' : (*p | 32) - 'a' + 10);
    return v;
}

static void usage(void)
{
    eprintf("usage: rtosctl [-c CHANNEL] ping N | stats | tasks | add A B | reset\n");
    sys_exit_group(2);
}

int main(int argc, char **argv)
{
    const char *channel = "rtos";
    int a = 1;
    if (a + 1 < argc && strcmp(argv[a], "-c") == 0) {
        channel = argv[a + 1];
        a += 2;
    }
    if (a >= argc)
        usage();
    const char *cmd = argv[a++];
    unsigned args[4] = {0, 0, 0, 0};
    unsigned command;
    int nargs = 0;
    if (strcmp(cmd, "ping") == 0) { command = RTOS_CMD_PING; nargs = 1; }
    else if (strcmp(cmd, "stats") == 0) command = RTOS_CMD_STATS;
    else if (strcmp(cmd, "tasks") == 0) command = RTOS_CMD_TASKS;
    else if (strcmp(cmd, "add") == 0) { command = RTOS_CMD_ADD; nargs = 2; }
    else if (strcmp(cmd, "reset") == 0) command = RTOS_CMD_RESET;
    else usage();
    if (argc - a != nargs)
        usage();
    for (int i = 0; i < nargs; i++)
        if (parse_uint(argv[a + i], &args[i]) < 0)
            usage();

    int uio = find_uio(channel);
    if (uio < 0) {
        eprintf("rtosctl: no UIO device named \"%s\" (is the channel in the system description, and uio_pdrv_genirq bound?)\n", channel);
        return 1;
    }
    char dev[32];
    snprintf(dev, sizeof dev, "/dev/uio%d", uio);
    long fd = sys_open(dev, O_RDWR, 0);
    if (fd < 0)
        die_err(dev, fd);
    unsigned shm_size = map_size(uio, 0);
    long shm = sys_mmap2(0, shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    long bell = sys_mmap2(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 1);
    if (is_err(shm) || is_err(bell)) {
        eprintf("rtosctl: cannot map %s (map0 %u bytes)\n", dev, shm_size);
        return 1;
    }
    volatile struct rtos_mailbox *mb = (volatile struct rtos_mailbox *)shm;
    volatile unsigned *doorbell = (volatile unsigned *)bell;
    if (mb->magic != RTOS_MAILBOX_MAGIC) {
        eprintf("rtosctl: the RTOS has not set up the mailbox (magic 0x%x)\n", (unsigned)mb->magic);
        return 1;
    }

    mb->command = command;
    for (int i = 0; i < 4; i++)
        mb->args[i] = args[i];
    unsigned seq = mb->request_seq + 1;
    mb->request_seq = seq;
    unsigned one = 1;
    sys_write((int)fd, &one, 4); /* (re-)enable the channel interrupt */
    doorbell[0] = 1;             /* notify the RTOS */
    while (mb->reply_seq != seq) {
        unsigned count;
        long r = sys_read((int)fd, &count, 4); /* the RTOS's notification */
        if (r < 0)
            die_err("read", r);
        sys_write((int)fd, &one, 4);
    }
    if (mb->status != RTOS_OK) {
        eprintf("rtosctl: the RTOS refused the request (status %u)\n", (unsigned)mb->status);
        return 1;
    }
    switch (command) {
    case RTOS_CMD_PING:
        printf("pong %u\n", (unsigned)mb->result[0]);
        break;
    case RTOS_CMD_ADD:
        printf("%u\n", (unsigned)mb->result[0]);
        break;
    case RTOS_CMD_STATS:
        if (!mb->text[0]) /* the RTOS's own summary, when it sends one, says the same */
            printf("%u jobs, %u deadline misses, worst release jitter %u ns, last %u ns\n",
                   (unsigned)mb->result[0], (unsigned)mb->result[1], (unsigned)mb->result[2], (unsigned)mb->result[3]);
        break;
    default:
        break;
    }
    if (mb->text[0])
        printf("%s%s", (const char *)mb->text, mb->text[strlen((const char *)mb->text) - 1] == '\n' ? "" : "\n");
    return 0;
}
