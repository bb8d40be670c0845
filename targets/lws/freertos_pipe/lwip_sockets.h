/* lwIP's socket table, as the FreeRTOS build of lws meets it: a fixed number of slots
 * (NUM_SOCKETS; on ESP-IDF CONFIG_LWIP_MAX_SOCKETS, 10 by default). When every slot is taken,
 * lwip_socket() fails with errno ENFILE and creates nothing. Here the sockets are real Linux
 * sockets; the table only counts them, so that a leaked socket holds a slot exactly as on a device.
 *
 * lwip_socket() is a macro on purpose: socket() stays a direct call of the function that asked for
 * the socket (lws_plat_pipe_create), so the stack the tracker records for the socket reads as the
 * lws code that made it, with no emulation frame in between. */
#ifndef LEAKSCOPE_TARGETS_LWS_LWIP_SOCKETS_H
#define LEAKSCOPE_TARGETS_LWS_LWIP_SOCKETS_H

#include <sys/socket.h>

#define LWIP_SOCKET_TABLE_DEFAULT 10 /* ESP-IDF's default CONFIG_LWIP_MAX_SOCKETS */
#define LWIP_SOCKET_TABLE_MAX 64

/* Sets the number of slots (1..LWIP_SOCKET_TABLE_MAX); call once, before the first socket. */
void lwip_socket_table_configure(int slots);
int lwip_socket_table_slots(void);
int lwip_socket_table_in_use(void);

/* Takes a slot: 0, or -1 with errno = ENFILE when the table is full. */
int lwip_socket_slot_claim(void);
/* Records the socket a claimed slot now holds and returns `fd`; when `fd` < 0 (socket() failed)
 * the slot is given back. */
int lwip_socket_slot_fill(int fd);

#define lwip_socket(domain, type, protocol) \
    (lwip_socket_slot_claim() == 0 ? lwip_socket_slot_fill(socket((domain), (type), (protocol))) : -1)

/* Closes a socket and frees its slot. */
int lwip_close(int fd);

#endif
