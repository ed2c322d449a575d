/* fwprobe: what an M-mode firmware receives when it is booted the QEMU way (-bios FW -kernel K
 * -initrd I -append A): the boot registers, OpenSBI's fw_dynamic_info that a2 points at, the
 * device tree's /chosen and /memory, and the first bytes of the kernel and the initrd where the
 * tree and the info say they are. Run on QEMU and on wasmvisor with the same files, it must
 * print the same (test/firmware.test.ts). Ends with the test device's pass. */
#include "lib.h"

static void line(const char *what, u32 v) {
  puts_(what);
  put_hex(v);
  uart_putc('\n');
}

/* A /chosen property of two cells (linux,initrd-start/end), or of one. */
static u32 cells(const void *fdt, const char *path, const char *prop, int *found) {
  u32 len = 0;
  const u8 *v = fdt_prop(fdt, path, prop, &len);
  *found = v != 0;
  if (!v) return 0;
  return len >= 8 ? be32(v + 4) : be32(v);
}

static void first_bytes(const char *what, u32 at, int n) {
  puts_(what);
  const u8 *p = (const u8 *)at;
  for (int i = 0; i < n; i++) {
    u8 c = p[i];
    uart_putc(c >= 32 && c < 127 ? c : '.');
  }
  uart_putc('\n');
}

void fw_main(u32 hartid, const void *fdt, const u32 *info) {
  uart_init();
  puts_("fwprobe: M-mode firmware booted with\n");
  line("  a0 (hart id)          ", hartid);
  line("  a1 (device tree)      ", (u32)fdt);
  line("  a2 (fw_dynamic_info)  ", (u32)info);
  u32 mstatus;
  __asm__ volatile("csrr %0, mstatus" : "=r"(mstatus));
  line("  mstatus.MPP           ", (mstatus >> 11) & 3);
  line("  info.magic            ", info[0]);
  line("  info.version          ", info[1]);
  line("  info.next_addr        ", info[2]);
  line("  info.next_mode        ", info[3]);
  line("  info.options          ", info[4]);
  line("  info.boot_hart        ", info[5]);
  line("  fdt magic             ", be32(fdt));
  u32 len = 0;
  const char *bootargs = fdt_prop(fdt, "/chosen", "bootargs", &len);
  puts_("  /chosen/bootargs      ");
  puts_(bootargs ? bootargs : "(none)");
  uart_putc('\n');
  const char *stdout_path = fdt_prop(fdt, "/chosen", "stdout-path", &len);
  puts_("  /chosen/stdout-path   ");
  puts_(stdout_path ? stdout_path : "(none)");
  uart_putc('\n');
  int found;
  u32 start = cells(fdt, "/chosen", "linux,initrd-start", &found);
  if (found) line("  initrd start          ", start);
  u32 end = cells(fdt, "/chosen", "linux,initrd-end", &found);
  if (found) line("  initrd end            ", end);
  const u8 *reg = fdt_prop(fdt, "/memory", "reg", &len);
  if (reg && len == 16) {
    line("  /memory base          ", be32(reg + 4));
    line("  /memory size          ", be32(reg + 12));
  }
  const u8 *tb = fdt_prop(fdt, "/cpus", "timebase-frequency", &len);
  if (tb) line("  timebase-frequency    ", be32(tb));
  const char *isa = fdt_prop(fdt, "/cpus/cpu@0", "riscv,isa", &len);
  puts_("  /cpus/cpu@0 has riscv,isa: ");
  puts_(isa ? "yes" : "no");
  uart_putc('\n');
  if (info[0] == 0x4942534fu && info[2] != 0) first_bytes("  kernel begins         ", info[2], 8);
  if (start != 0 && end > start) first_bytes("  initrd begins         ", start, 8);
  finish(0x5555);
}
