#ifndef CPCAP_SHIM_H
#define CPCAP_SHIM_H

// libpcap (Debian libpcap-dev) for TLS13Capture: live capture of one TCP connection. Only TLS13Capture imports
// this module; the TLS13 library never links libpcap.
#include <pcap/pcap.h>

// Macros Swift cannot import as values of the right type.
static inline int CPcap_ERROR(void) { return PCAP_ERROR; }
static inline int CPcap_ERROR_BREAK(void) { return PCAP_ERROR_BREAK; }
static inline int CPcap_ERROR_PERM_DENIED(void) { return PCAP_ERROR_PERM_DENIED; }
static inline int CPcap_ERROR_NO_SUCH_DEVICE(void) { return PCAP_ERROR_NO_SUCH_DEVICE; }
static inline int CPcap_ERROR_IFACE_NOT_UP(void) { return PCAP_ERROR_IFACE_NOT_UP; }
static inline int CPcap_ERROR_PROMISC_PERM_DENIED(void) { return PCAP_ERROR_PROMISC_PERM_DENIED; }
static inline int CPcap_TSTAMP_PRECISION_NANO(void) { return PCAP_TSTAMP_PRECISION_NANO; }
static inline int CPcap_TSTAMP_PRECISION_MICRO(void) { return PCAP_TSTAMP_PRECISION_MICRO; }
static inline unsigned int CPcap_NETMASK_UNKNOWN(void) { return PCAP_NETMASK_UNKNOWN; }
static inline int CPcap_ERRBUF_SIZE(void) { return PCAP_ERRBUF_SIZE; }

#endif
