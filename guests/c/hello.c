/* printf through picolibc's stdio on the UART, exit(0) through the test finisher. */
#include <stdio.h>

int main(void) {
  printf("Hello from a C guest on wasmvisor!\n");
  printf("%d + %d = %d, %s, 0x%08x\n", 40, 2, 40 + 2, "strings work", 0xc0ffee);
  return 0;
}
