/* A plugin that allocates and keeps what it allocated: after the host dlcloses it, those blocks are
 * still live and their stacks point into a module that is no longer mapped. The analyzer must still
 * name plugin_build_records, from the module map's record of the unloaded module. */
#include <stdlib.h>
#include <string.h>

struct plugin_record {
    struct plugin_record *next;
    char name[24];
};

__attribute__((noinline)) struct plugin_record *plugin_build_records(int count) {
    struct plugin_record *head = NULL;
    for (int i = 0; i < count; ++i) {
        struct plugin_record *record = malloc(sizeof *record);
        if (!record) break;
        memset(record->name, 'a' + i % 26, sizeof record->name - 1);
        record->name[sizeof record->name - 1] = '\0';
        record->next = head;
        head = record;
    }
    return head;
}
