// libpcap, loaded on first use (see include/CPcap.h).
#include "CPcap.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

// One pointer per function, typed from the declaration in <pcap/pcap.h>: a mismatch does not compile.
#define CPCAP_FUNCTIONS(X) \
    X(pcap_create) X(pcap_set_snaplen) X(pcap_set_promisc) X(pcap_set_immediate_mode) X(pcap_set_timeout) \
    X(pcap_set_tstamp_precision) X(pcap_get_tstamp_precision) X(pcap_activate) X(pcap_datalink) X(pcap_compile) \
    X(pcap_setfilter) X(pcap_freecode) X(pcap_next_ex) X(pcap_breakloop) X(pcap_stats) X(pcap_geterr) \
    X(pcap_statustostr) X(pcap_close)

#define CPCAP_POINTER(name) static __typeof__(&name) p_##name;
CPCAP_FUNCTIONS(CPCAP_POINTER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256];  // empty when the load worked

static void load(void) {
    // Debian's soname first (libpcap0.8), then the upstream one, then the development symlink.
    static const char *const names[] = { "libpcap.so.0.8", "libpcap.so.1", "libpcap.so" };
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(failure, sizeof failure, "libpcap is not installed (%s)", reason ? reason : "dlopen failed");
        return;
    }
#define CPCAP_LOOKUP(name) \
    if ((p_##name = (__typeof__(&name))dlsym(library, #name)) == NULL) { \
        snprintf(failure, sizeof failure, "libpcap has no %s", #name); \
        return; \
    }
    CPCAP_FUNCTIONS(CPCAP_LOOKUP)
}

int CPcap_load(char *errbuf, size_t size) {
    pthread_once(&once, load);
    if (failure[0] == '\0') return 0;
    if (errbuf != NULL && size > 0) snprintf(errbuf, size, "%s", failure);
    return -1;
}

pcap_t *CPcap_create(const char *source, char *errbuf) {
    if (CPcap_load(errbuf, PCAP_ERRBUF_SIZE) != 0) return NULL;
    return p_pcap_create(source, errbuf);
}
int CPcap_set_snaplen(pcap_t *p, int snaplen) { return p_pcap_set_snaplen(p, snaplen); }
int CPcap_set_promisc(pcap_t *p, int promisc) { return p_pcap_set_promisc(p, promisc); }
int CPcap_set_immediate_mode(pcap_t *p, int on) { return p_pcap_set_immediate_mode(p, on); }
int CPcap_set_timeout(pcap_t *p, int ms) { return p_pcap_set_timeout(p, ms); }
int CPcap_set_tstamp_precision(pcap_t *p, int precision) { return p_pcap_set_tstamp_precision(p, precision); }
int CPcap_get_tstamp_precision(pcap_t *p) { return p_pcap_get_tstamp_precision(p); }
int CPcap_activate(pcap_t *p) { return p_pcap_activate(p); }
int CPcap_datalink(pcap_t *p) { return p_pcap_datalink(p); }
int CPcap_compile(pcap_t *p, struct bpf_program *fp, const char *str, int optimize, bpf_u_int32 netmask) {
    return p_pcap_compile(p, fp, str, optimize, netmask);
}
int CPcap_setfilter(pcap_t *p, struct bpf_program *fp) { return p_pcap_setfilter(p, fp); }
void CPcap_freecode(struct bpf_program *fp) { p_pcap_freecode(fp); }
int CPcap_next_ex(pcap_t *p, struct pcap_pkthdr **header, const u_char **data) {
    return p_pcap_next_ex(p, header, data);
}
void CPcap_breakloop(pcap_t *p) { p_pcap_breakloop(p); }
int CPcap_stats(pcap_t *p, struct pcap_stat *ps) { return p_pcap_stats(p, ps); }
char *CPcap_geterr(pcap_t *p) { return p_pcap_geterr(p); }
const char *CPcap_statustostr(int error) { return p_pcap_statustostr(error); }
void CPcap_close(pcap_t *p) { p_pcap_close(p); }
