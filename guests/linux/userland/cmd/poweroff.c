/*
 * poweroff [-r|-h] - sync, then reboot(2) with LINUX_REBOOT_CMD_POWER_OFF
 * (-r: RESTART, -h: HALT).  The magic numbers are the ones from
 * linux/reboot.h.  Needs CAP_SYS_BOOT; on success the call does not return.
 * NOTE: never run this under qemu-user as root - QEMU passes reboot(2)
 * straight to the host kernel.
 */
#include "u.h"

int main(int argc, char **argv)
{
    unsigned cmd = LINUX_REBOOT_CMD_POWER_OFF;
    if (argc == 2 && !strcmp(argv[1], "-r"))
        cmd = LINUX_REBOOT_CMD_RESTART;
    else if (argc == 2 && !strcmp(argv[1], "-h"))
        cmd = LINUX_REBOOT_CMD_HALT;
    else if (argc != 1) {
        eprintf("usage: poweroff [-r|-h]\n");
        return 2;
    }
    sys_sync();
    long r = sys_reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd);
    die_err("reboot", r);
}
