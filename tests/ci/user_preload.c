/* Stands in for a user's own LD_PRELOAD library (jemalloc, tcmalloc) in run_exit_status.sh. */
int leakscope_ci_user_preload_marker(void) { return 1; }
