#ifndef SWITCHBOARD_CFASTCGI_SHIM_H
#define SWITCHBOARD_CFASTCGI_SHIM_H
#include <fcgiapp.h>
/* The acceptor threads wait with epoll and are woken through an eventfd; Glibc's Swift module lacks both. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
