/* A time limit for a whole target run.
 *
 * The targets wait on sockets (lws_service, poll); if the other side never answers, the wait could
 * last forever. The watchdog makes every run stop by itself: when the limit passes it prints one line
 * that says what the program was doing, and exits with TARGET_EXIT_WATCHDOG. */
#ifndef LEAKSCOPE_TARGETS_LWS_WATCHDOG_H
#define LEAKSCOPE_TARGETS_LWS_WATCHDOG_H

#define TARGET_EXIT_WATCHDOG 4

/* Arms a one-shot SIGALRM `seconds` from now. `program` must stay valid for the whole run. */
void watchdog_arm(const char *program, unsigned seconds);

/* Records what the program is waiting for, for the watchdog's message. `what` must be a string
 * literal (or otherwise outlive the run): the signal handler reads it. */
void watchdog_phase(const char *what);

#endif
