/* echo [-n] ARGS... - print the arguments separated by spaces (-n: no newline). */
#include "u.h"

int main(int argc, char **argv) { return do_echo(argc, argv); }
