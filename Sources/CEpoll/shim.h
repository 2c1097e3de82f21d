// epoll(7) and eventfd(2), which Swift's Glibc module does not include: the readiness loop under
// AsyncTLSConnection (Sources/TLS13/Connection/ReadinessLoop.swift). Linux only; nothing to link.
#ifndef CEPOLL_SHIM_H
#define CEPOLL_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
