#include "mailbox.h"

#include <stdlib.h>

#include "monitor.h"

void mailbox_init(Mailbox *mailbox)
{
    mailbox->first = NULL;
    mailbox->last = NULL;
    mailbox->length = 0;
}

__attribute__((noinline)) int mailbox_send(Mailbox *mailbox, const Message *message)
{
    Message *copy = malloc(sizeof(Message));
    if (copy == NULL) {
        return -1;
    }
    *copy = *message;
    copy->next = NULL;
    if (mailbox->last != NULL) {
        mailbox->last->next = copy;
    } else {
        mailbox->first = copy;
    }
    mailbox->last = copy;
    mailbox->length++;
    return 0;
}

__attribute__((noinline)) int mailbox_take(Mailbox *mailbox, Message *out)
{
    Message *oldest = mailbox->first;
    if (oldest == NULL) {
        return -1;
    }
    mailbox->first = oldest->next;
    if (mailbox->first == NULL) {
        mailbox->last = NULL;
    }
    mailbox->length--;
    *out = *oldest;
    out->next = NULL;
    free(oldest);
    return 0;
}

void mailbox_destroy(Mailbox *mailbox)
{
    Message *message = mailbox->first;
    while (message != NULL) {
        Message *next = message->next;
        monitor_free(message->monitor);
        free(message);
        message = next;
    }
    mailbox_init(mailbox);
}

const char *exit_reason_name(ExitReason reason)
{
    switch (reason) {
        case EXIT_REASON_NORMAL:
            return "normal";
        case EXIT_REASON_ERROR:
            return "error";
        case EXIT_REASON_KILLED:
            return "killed";
        case EXIT_REASON_NOPROC:
            return "noproc";
    }
    return "unknown";
}
