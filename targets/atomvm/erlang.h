/* The process BIFs a body calls: erlang:spawn/spawn_link/monitor/demonitor/unlink/send/exit and receive.
 * Named erlang_* because the plain names (send, unlink, exit) are libc functions. */
#ifndef ATOMVM_PORT_ERLANG_H
#define ATOMVM_PORT_ERLANG_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "globalcontext.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Heap words each spawned process gets. */
#define ERLANG_PROCESS_HEAP_WORDS 64

/* spawn(Body, [Arg0, Arg1]): a new ready process with x[0] = arg0, x[1] = arg1. NULL when memory is
 * exhausted. */
Context *erlang_spawn(GlobalContext *global, ProcessBody body, term arg0, term arg1);

/* spawn_link: as erlang_spawn, plus a link record on the parent and on the child. NULL when memory is
 * exhausted (nothing is left behind). */
Context *erlang_spawn_link(Context *parent, ProcessBody body, term arg0, term arg1);

/* erlang:monitor(process, Pid): a monitor record on both sides, with a fresh reference (returned). If
 * Pid is not alive the watcher gets {'DOWN', Ref, process, Pid, noproc} at once and no record is kept.
 * 0 when memory is exhausted. */
uint64_t erlang_monitor(Context *ctx, int32_t target_pid);

/* erlang:demonitor(Ref): removes the monitor from both sides; false if ctx had no such monitor. */
bool erlang_demonitor(Context *ctx, uint64_t ref_ticks);

/* erlang:unlink(Pid): removes the link from both sides; always true, as in Erlang. */
bool erlang_unlink(Context *ctx, int32_t link_pid);

/* Pid ! Value: false when the target is not alive (the message is dropped, as in Erlang). */
bool erlang_send(GlobalContext *global, int32_t from_pid, int32_t to_pid, term value);

/* receive: takes the oldest message into *out; false when the mailbox is empty (the body should then
 * return PROCESS_WAIT). */
bool erlang_receive(Context *ctx, Message *out);

/* exit(Pid, Reason): an exit signal from ctx to Pid, handled as a linked peer's death would be. */
void erlang_exit(Context *ctx, int32_t target_pid, ExitReason reason);

/* process_flag(trap_exit, Value) */
void erlang_trap_exit(Context *ctx, bool value);

#ifdef __cplusplus
}
#endif

#endif
