#ifndef SWITCHBOARD_CFASTCGI_SHIM_H
#define SWITCHBOARD_CFASTCGI_SHIM_H
#include <fcgiapp.h>
/* The acceptor threads wait with epoll and are woken through an eventfd; Glibc's Swift module lacks both. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

/* Names the calling thread (shown by top -H and in /proc); prctl is variadic, which Swift cannot call. */
static inline int sb_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
#endif
