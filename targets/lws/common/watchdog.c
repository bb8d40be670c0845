/* A time limit for a whole target run: see watchdog.h. */
#include "watchdog.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char *watchdog_program = "target";
static volatile sig_atomic_t watchdog_seconds;
static const char *volatile watchdog_current_phase = "starting";

static void watchdog_write(const char *text) {
    ssize_t ignored = write(STDERR_FILENO, text, strlen(text));
    (void)ignored;
}

/* Runs in a signal handler: only async-signal-safe calls (write, _exit). */
static void watchdog_expired(int signal_number) {
    (void)signal_number;
    char seconds_text[16];
    int length = 0;
    unsigned value = (unsigned)watchdog_seconds;
    char reversed[16];
    do {
        reversed[length++] = (char)('0' + value % 10);
        value /= 10;
    } while (value && length < (int)sizeof(reversed));
    for (int i = 0; i < length; i++) seconds_text[i] = reversed[length - 1 - i];
    seconds_text[length] = '\0';

    watchdog_write(watchdog_program);
    watchdog_write(": watchdog: no finish within ");
    watchdog_write(seconds_text);
    watchdog_write(" s while ");
    watchdog_write(watchdog_current_phase);
    watchdog_write("; stopping\n");
    _exit(TARGET_EXIT_WATCHDOG);
}

void watchdog_arm(const char *program, unsigned seconds) {
    watchdog_program = program;
    watchdog_seconds = (sig_atomic_t)seconds;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = watchdog_expired;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, NULL);
    alarm(seconds);
}

void watchdog_phase(const char *what) { watchdog_current_phase = what; }
