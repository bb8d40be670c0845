#include "globalcontext.h"

#include <stdlib.h>

#include "process_model.h"

__attribute__((noinline)) GlobalContext *globalcontext_new(RuntimeVariant variant)
{
    GlobalContext *global = calloc(1, sizeof(GlobalContext));
    if (global == NULL) {
        return NULL;
    }
    list_init(&global->processes_table);
    list_init(&global->ready_processes);
    list_init(&global->waiting_processes);
    global->variant = variant;
    global->model = variant == RUNTIME_VARIANT_BUGGY ? &process_model_v065 : &process_model_v066;
    return global;
}

__attribute__((noinline)) void globalcontext_destroy(GlobalContext *global)
{
    struct ListHead *item;
    struct ListHead *tmp;
    MUTABLE_LIST_FOR_EACH (item, tmp, &global->processes_table) {
        Context *ctx = GET_LIST_ENTRY(item, Context, processes_table_head);
        list_remove(&ctx->processes_table_head);
        list_remove(&ctx->scheduler_head);
        context_release(ctx);
    }
    free(global);
}

void globalcontext_register_process(GlobalContext *global, Context *ctx)
{
    ctx->process_id = ++global->last_process_id;
    list_append(&global->processes_table, &ctx->processes_table_head);
}

void globalcontext_unregister_process(GlobalContext *global, Context *ctx)
{
    (void) global;
    list_remove(&ctx->processes_table_head);
}

Context *globalcontext_get_process(GlobalContext *global, int32_t process_id)
{
    /* A linear walk, as AtomVM's list-based table: the table holds a few dozen processes here. */
    struct ListHead *item;
    LIST_FOR_EACH (item, &global->processes_table) {
        Context *ctx = GET_LIST_ENTRY(item, Context, processes_table_head);
        if (ctx->process_id == process_id) {
            return ctx;
        }
    }
    return NULL;
}

uint64_t globalcontext_get_ref_ticks(GlobalContext *global)
{
    return ++global->ref_ticks;
}

size_t globalcontext_process_count(const GlobalContext *global)
{
    return list_length(&global->processes_table);
}
