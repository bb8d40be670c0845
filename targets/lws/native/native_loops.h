/* The three lifecycle loops of lws_native. Each takes a snapshot labelled "start" before the first
 * cycle and one labelled "cycle" at the end of every cycle (same phase every time), and returns 0, or
 * -1 after printing what failed. */
#ifndef LEAKSCOPE_TARGETS_LWS_NATIVE_LOOPS_H
#define LEAKSCOPE_TARGETS_LWS_NATIVE_LOOPS_H

/* One server context for the whole run; per cycle a client connects, exchanges `messages` echoes
 * and disconnects. Snapshot after both sides have seen the close. */
int lws_native_loop_connect(int cycles, int messages);

/* Per cycle: create a context (server vhost, also used for the client), serve one connection of
 * `messages` echoes, destroy the context. Snapshot after the destroy. The "start" snapshot is taken
 * before the first context exists, so it is the fd set every destroy must return to. */
int lws_native_loop_context(int cycles, int messages);

/* One context for the whole run; per cycle a second thread calls lws_cancel_service and the
 * service loop waits for LWS_CALLBACK_EVENT_WAIT_CANCELLED. Snapshot after it was seen. */
int lws_native_loop_cancel(int cycles);

#endif
