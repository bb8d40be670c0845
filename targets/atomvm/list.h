/* Intrusive doubly linked list, as AtomVM's list.h: the runtime keeps processes, mailboxes' owners and
 * monitor records on lists whose nodes live inside the structs, so linking a node never allocates and
 * every allocation the tracker sees is a real runtime object (a context, a message, a record). */
#ifndef ATOMVM_PORT_LIST_H
#define ATOMVM_PORT_LIST_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ListHead {
    struct ListHead *next;
    struct ListHead *prev;
};

/* The struct of type `type` whose member `member` is the node `item`. */
#define GET_LIST_ENTRY(item, type, member) ((type *) ((char *) (item) - offsetof(type, member)))

/* Iterates safely against removal of `item` inside the loop body. */
#define MUTABLE_LIST_FOR_EACH(item, tmp, head) \
    for ((item) = (head)->next, (tmp) = (item)->next; (item) != (head); (item) = (tmp), (tmp) = (item)->next)

#define LIST_FOR_EACH(item, head) for ((item) = (head)->next; (item) != (head); (item) = (item)->next)

static inline void list_init(struct ListHead *head)
{
    head->next = head;
    head->prev = head;
}

static inline bool list_is_empty(const struct ListHead *head)
{
    return head->next == head;
}

/* Appends `item` at the tail of `head`. */
static inline void list_append(struct ListHead *head, struct ListHead *item)
{
    item->prev = head->prev;
    item->next = head;
    head->prev->next = item;
    head->prev = item;
}

/* Unlinks `item` from whatever list holds it and leaves it as an empty list of its own, so removing twice
 * is harmless. */
static inline void list_remove(struct ListHead *item)
{
    item->prev->next = item->next;
    item->next->prev = item->prev;
    list_init(item);
}

static inline size_t list_length(const struct ListHead *head)
{
    size_t length = 0;
    for (const struct ListHead *item = head->next; item != head; item = item->next) {
        length++;
    }
    return length;
}

#ifdef __cplusplus
}
#endif

#endif
