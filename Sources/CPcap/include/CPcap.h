#ifndef CPCAP_H
#define CPCAP_H

// libpcap for TLS13Capture (live capture of one TCP connection), loaded with dlopen the first time a capture
// starts (CPcap_load): a `tls13` process that captures nothing does not map libpcap and the libraries it needs.
// The types and constants come from Debian's libpcap-dev headers; each CPcap_* function calls the libpcap
// function of the same name (the pointer's type is checked against <pcap/pcap.h> in loader.c). Only TLS13Capture
// imports this module; the TLS13 library never uses libpcap.
#include <pcap/pcap.h>
#include <stddef.h>

/// Loads libpcap once (thread-safe). Returns 0 when every function was found; otherwise -1 with the reason in
/// `errbuf` (at most `size` bytes, NUL-terminated). Every other CPcap_* function needs a successful load first.
int CPcap_load(char *errbuf, size_t size);

pcap_t *CPcap_create(const char *source, char *errbuf);
int CPcap_set_snaplen(pcap_t *p, int snaplen);
int CPcap_set_promisc(pcap_t *p, int promisc);
int CPcap_set_immediate_mode(pcap_t *p, int on);
int CPcap_set_timeout(pcap_t *p, int ms);
int CPcap_set_tstamp_precision(pcap_t *p, int precision);
int CPcap_get_tstamp_precision(pcap_t *p);
int CPcap_activate(pcap_t *p);
int CPcap_datalink(pcap_t *p);
int CPcap_compile(pcap_t *p, struct bpf_program *fp, const char *str, int optimize, bpf_u_int32 netmask);
int CPcap_setfilter(pcap_t *p, struct bpf_program *fp);
void CPcap_freecode(struct bpf_program *fp);
int CPcap_next_ex(pcap_t *p, struct pcap_pkthdr **header, const u_char **data);
void CPcap_breakloop(pcap_t *p);
int CPcap_stats(pcap_t *p, struct pcap_stat *ps);
char *CPcap_geterr(pcap_t *p);
const char *CPcap_statustostr(int error);
void CPcap_close(pcap_t *p);

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
