/* UART input: reads lines, echoes them upper-cased with a line number, stops at "quit" or after
   the input ends (a line that does not arrive within a bounded wait is taken as the end). */
#include <stdio.h>
#include <string.h>
#include "platform.h"

static int read_line(char *buf, int size) {
  int n = 0;
  uint64_t deadline = mtime_read() + MTIME_HZ / 10; /* 100 ms of virtual time without input: end */
  for (;;) {
    int c = uart_getc();
    if (c < 0) {
      if (mtime_read() > deadline) return n > 0 ? n : -1;
      continue;
    }
    deadline = mtime_read() + MTIME_HZ / 10;
    if (c == '\r') continue;
    if (c == '\n') break;
    if (n < size - 1) buf[n++] = (char)c;
  }
  buf[n] = 0;
  return n;
}

int main(void) {
  char line[128];
  int count = 0;
  printf("echo ready\n");
  for (;;) {
    int n = read_line(line, sizeof line);
    if (n < 0) break;
    if (strcmp(line, "quit") == 0) break;
    for (int i = 0; line[i]; i++)
      if (line[i] >= 'a' && line[i] <= 'z') line[i] = (char)(line[i] - 'a' + 'A');
    printf("%d: %s\n", ++count, line);
  }
  printf("%d lines\n", count);
  return 0;
}
