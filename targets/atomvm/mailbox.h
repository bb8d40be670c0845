/* A process's mailbox: a FIFO of heap-allocated messages. Ordinary messages carry one integer term;
 * {'EXIT', Pid, Reason} and {'DOWN', Ref, process, Pid, Reason} are messages of their own kind. The same
 * FIFO holds a process's signals (after the fix: link, unlink, monitor and demonitor requests that only
 * the owner process may carry out on its own record list), in a queue of their own. */
#ifndef ATOMVM_PORT_MAILBOX_H
#define ATOMVM_PORT_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ExitReason {
    EXIT_REASON_NORMAL, /* normal */
    EXIT_REASON_ERROR,  /* a crash: any reason other than normal or kill */
    EXIT_REASON_KILLED, /* killed: the reason a peer sees after a kill */
    EXIT_REASON_NOPROC  /* DOWN for a process that was already gone when monitored */
} ExitReason;

typedef enum MessageKind {
    MESSAGE_TERM, /* Pid ! Value */
    MESSAGE_EXIT, /* {'EXIT', from_pid, reason}: an exit signal turned into a message (trap_exit) */
    MESSAGE_DOWN, /* {'DOWN', ref_ticks, process, from_pid, reason} */
    /* Signals (v0.6.6 model only), handled by the owner before its next step: */
    SIGNAL_MONITOR,  /* add `monitor` (a record made by another process) to my list */
    SIGNAL_UNLINK,   /* remove my link record to from_pid */
    SIGNAL_DEMONITOR /* remove my monitor record with ref_ticks */
} MessageKind;

struct Monitor;

typedef struct Message {
    struct Message *next;
    MessageKind kind;
    int32_t from_pid;
    uint64_t ref_ticks;
    int64_t value;
    ExitReason reason;
    struct Monitor *monitor; /* SIGNAL_MONITOR: the record handed over; freed with the queue if never taken */
} Message;

typedef struct Mailbox {
    Message *first;
    Message *last;
    size_t length;
} Mailbox;

void mailbox_init(Mailbox *mailbox);

/* Appends a copy of `message` (its `next` is ignored). Returns 0, or -1 when memory is exhausted (the
 * message is dropped, as a send to a process that cannot take it). */
int mailbox_send(Mailbox *mailbox, const Message *message);

/* Removes the oldest message into *out and frees it; 0 on success, -1 when the mailbox is empty. */
int mailbox_take(Mailbox *mailbox, Message *out);

/* Frees every message still queued (and the record a pending SIGNAL_MONITOR carries). */
void mailbox_destroy(Mailbox *mailbox);

const char *exit_reason_name(ExitReason reason);

#ifdef __cplusplus
}
#endif

#endif
