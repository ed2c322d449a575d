/* The request protocol between the Linux partition and the RTOS (guests/rtos/) over their
 * channel: a shared region (the mailbox below, at the start of the channel's region) plus
 * notifications both ways. Linux's `rtosctl` tool reaches it through the channel's UIO device
 * (map 0: the region, map 1: the doorbell page); the RTOS through its own mapping and the
 * notify hypercall.
 *
 * One request at a time: the client fills command/args, increments request_seq and notifies;
 * the RTOS's server task answers — status, result, text — sets reply_seq = request_seq and
 * notifies back. All fields are little-endian 32-bit words, text is NUL-terminated. */
#ifndef WASMVISOR_RTOS_PROTOCOL_H
#define WASMVISOR_RTOS_PROTOCOL_H
#include <stdint.h>

#define RTOS_MAILBOX_MAGIC 0x534f5452u /* "RTOS", written by the RTOS when it is ready */

enum rtos_command {
  RTOS_CMD_PING = 1,   /* result[0] = args[0] + 1 */
  RTOS_CMD_STATS = 2,  /* result = {jobs, deadline misses, worst release jitter (ns), last jitter (ns)}; text: a summary */
  RTOS_CMD_TASKS = 3,  /* text: one line per task: name, priority, state, activations */
  RTOS_CMD_ADD = 4,    /* result[0] = args[0] + args[1] */
  RTOS_CMD_RESET = 5,  /* statistics back to zero */
};

enum rtos_status { RTOS_OK = 0, RTOS_EBADCMD = 1 };

struct rtos_mailbox {
  uint32_t magic;
  uint32_t request_seq;
  uint32_t reply_seq;
  uint32_t command;
  uint32_t args[4];
  uint32_t status;
  uint32_t result[4];
  char text[476];       /* the struct fills 512 bytes */
};

/* The same operations as protected procedure calls (label = command, MR0.. = args; the reply's
 * MRs = result, status in its label: 0 ok). */

#endif
