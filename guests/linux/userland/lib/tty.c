/*
 * tty.c - terminal modes.
 */
#include "u.h"

/* The raw mode of cfmakeraw(3), for a byte channel such as the file
 * agent's virtio console: no input translation (CR stays CR, 8 bits kept,
 * no flow control), no output processing (LF stays LF), no echo, no
 * canonical lines, no signal keys; a read returns as soon as one byte is
 * there. */
void tty_make_raw(struct termios *t)
{
    t->c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t->c_oflag &= ~OPOST;
    t->c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t->c_cflag &= ~(CSIZE | PARENB);
    t->c_cflag |= CS8;
    t->c_cc[VMIN] = 1;
    t->c_cc[VTIME] = 0;
}
