/*
 * start.c - C side of process start-up: record argv[0]/envp, run main(),
 * exit_group() with its return value.
 */
#include "u.h"

char **environ;
const char *progname = "?";

int main(int argc, char **argv, char **envp);

__attribute__((noreturn, used)) void __start_c(int argc, char **argv, char **envp)
{
    environ = envp;
    if (argc > 0 && argv[0])
        progname = base_name(argv[0]);
    sys_exit_group(main(argc, argv, envp));
}
