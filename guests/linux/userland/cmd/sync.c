/* sync - flush filesystem buffers (sync(2) cannot fail). */
#include "u.h"

int main(void)
{
    sys_sync();
    return 0;
}
