/*
 * run-usage: runs one command as a child process and prints what the whole process cost, for
 * Scripts/bench-first-contact.sh (the "first contact" comparison, Docs/Benchmarks.md).
 *
 * Usage: run-usage [--stdin FILE] COMMAND [ARGUMENTS...]
 *
 * The child's stdin is FILE (default /dev/null), its stdout and stderr /dev/null. Prints one line:
 *   <wall ms> <cpu ms> <peak rss KiB> <exit status>
 * wall: CLOCK_MONOTONIC from just before fork to just after the child was reaped; cpu: the child's user + system
 * time and peak RSS from wait4's rusage (microsecond resolution; /usr/bin/time prints 10 ms steps). The child is
 * forked from this small process, so its peak RSS starts from this process's few pages, not from a large parent.
 * Exit status: the child's, or 128 + the signal that ended it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *input = "/dev/null";
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--stdin") == 0) {
        input = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: run-usage [--stdin FILE] COMMAND [ARGUMENTS...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("run-usage: fork");
        return 1;
    }
    if (pid == 0) {
        int in = open(input, O_RDONLY);
        int out = open("/dev/null", O_WRONLY);
        if (in < 0 || out < 0) _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        execvp(argv[first], argv + first);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("run-usage: wait4");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    double cpu = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                 (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("%.3f %.3f %ld %d\n", wall, cpu, usage.ru_maxrss, code);
    return 0;
}
