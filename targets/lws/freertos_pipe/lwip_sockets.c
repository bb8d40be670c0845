/* The slot accounting behind lwip_sockets.h. Single-threaded program: no lock. */
#include "lwip_sockets.h"

#include <errno.h>
#include <unistd.h>

static int slots = LWIP_SOCKET_TABLE_DEFAULT;
static int claimed;                         /* slots taken, filled or about to be */
static int slot_fds[LWIP_SOCKET_TABLE_MAX]; /* the sockets in the filled slots */
static int filled;

void lwip_socket_table_configure(int count) {
    slots = count < 1 ? 1 : count > LWIP_SOCKET_TABLE_MAX ? LWIP_SOCKET_TABLE_MAX : count;
}

int lwip_socket_table_slots(void) { return slots; }

int lwip_socket_table_in_use(void) { return claimed; }

int lwip_socket_slot_claim(void) {
    if (claimed >= slots) {
        errno = ENFILE; /* lwip_socket: alloc_socket() found no free slot */
        return -1;
    }
    claimed++;
    return 0;
}

int lwip_socket_slot_fill(int fd) {
    if (fd < 0) {
        int saved = errno;
        claimed--;
        errno = saved;
        return fd;
    }
    slot_fds[filled++] = fd;
    return fd;
}

int lwip_close(int fd) {
    for (int i = 0; i < filled; i++) {
        if (slot_fds[i] == fd) {
            slot_fds[i] = slot_fds[--filled];
            claimed--;
            break;
        }
    }
    return close(fd);
}
