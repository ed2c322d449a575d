/* Exits with status 42 through the test finisher: (42 << 16) | 0x3333. */
#include <stdio.h>

int main(void) {
  printf("exiting with status 42\n");
  return 42;
}
