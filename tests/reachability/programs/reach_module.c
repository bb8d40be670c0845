/* A module the reachability test dlopens: the only pointer to one block lives in its data. */
void *reach_module_slot;

void reach_module_keep(void *block) { reach_module_slot = block; }
